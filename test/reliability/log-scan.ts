/**
 * Scans captured log streams for key material: any PEM block, and each given secret in the forms
 * a careless log line would carry it (as is, JSON-escaped, base64 as in a Secret's `data`, or any
 * piece of a PEM body). Findings name what matched and where, never the secret itself.
 */

const PEM_MARKERS = [/-----BEGIN [A-Z ]+-----/, /PRIVATE KEY/, /BEGIN CERTIFICATE/];
// A leaked PEM may be cut anywhere and its lines joined by "\n", "\\n" or nothing: look for
// 16-character pieces of each body line, 8 apart, so that any 24 characters of a line hold one.
// 16 base64 characters are 96 random bits: they never occur by chance.
const PIECE = 16;
const STEP = 8;

function piecesOf(pem: string): string[] {
  const lines = pem.split("\n").filter(line => line !== "" && !line.startsWith("-----"));
  const pieces: string[] = [];
  for (const line of lines)
    for (let at = 0; at + PIECE <= line.length; at += STEP) pieces.push(line.slice(at, at + PIECE));
  return pieces;
}

/** The forms of one secret worth looking for. */
function formsOf(secret: string): Array<[string, string]> {
  const forms: Array<[string, string]> = [
    ["as is", secret],
    ["JSON-escaped", JSON.stringify(secret).slice(1, -1)],
    ["base64", Buffer.from(secret).toString("base64")],
  ];
  if (secret.includes("-----BEGIN"))
    forms.push(...piecesOf(secret).map(p => ["PEM piece", p] as [string, string]));
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
