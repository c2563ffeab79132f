/**
 * Scans captured log streams for key material: any PEM block, and each given secret in the forms
 * a careless log line would carry it (as is, JSON-escaped, base64 as in a Secret's `data`, or a
 * slice of a PEM body). Findings name what matched and where, never the secret itself.
 */

const PEM_MARKERS = [/-----BEGIN [A-Z ]+-----/, /PRIVATE KEY/, /BEGIN CERTIFICATE/];
const SLICE = 32;

/** The forms of one secret worth looking for, each at least SLICE characters where possible. */
function formsOf(secret: string): Array<[string, string]> {
  const forms: Array<[string, string]> = [
    ["as is", secret],
    ["JSON-escaped", JSON.stringify(secret).slice(1, -1)],
    ["base64", Buffer.from(secret).toString("base64")],
  ];
  const body = secret
    .split("\n")
    .filter(line => line !== "" && !line.startsWith("-----"))
    .join("");
  if (body.length >= SLICE && body !== secret) {
    // Start and middle of the PEM body: a truncated or re-wrapped dump still contains one.
    forms.push(["PEM body start", body.slice(0, SLICE)]);
    const mid = Math.floor(body.length / 2);
    forms.push(["PEM body middle", body.slice(mid, mid + SLICE)]);
  }
  return forms.filter(([, form]) => form.length >= 8);
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

/**
 * Where `text` holds a PEM block or one of `secrets`: `["line 12: PEM marker ...", ...]`, empty
 * when it is clean.
 */
export function keyMaterialFindings(text: string, secrets: readonly string[]): string[] {
  const findings: string[] = [];
  for (const marker of PEM_MARKERS) {
    const match = marker.exec(text);
    if (match) findings.push(`line ${lineOf(text, match.index)}: PEM marker ${marker.source}`);
  }
  secrets.forEach((secret, n) => {
    for (const [form, value] of formsOf(secret)) {
      const index = text.indexOf(value);
      if (index >= 0) findings.push(`line ${lineOf(text, index)}: secret #${n} (${form})`);
    }
  });
  return findings;
}
