import { X509Certificate, createPrivateKey } from "node:crypto";
import { isIP } from "node:net";
import { TlsError } from "../../webhook/errors.js";

/**
 * What the certificate code needs to know about one X.509 certificate, as plain data: the planner
 * and its tests work on this shape and never parse PEM themselves.
 */
export interface CertificateInfo {
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 fingerprint, colon-separated hex as Node prints it. */
  fingerprint256: string;
  isCa: boolean;
  dnsNames: string[];
  ipAddresses: string[];
}

/** The names a serving certificate must carry. */
export interface SubjectNames {
  dnsNames: string[];
  ipAddresses: string[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, each as its own PEM block ending in a newline. */
export function splitPemBundle(bundle: string): string[] {
  return (bundle.match(PEM_CERTIFICATE) ?? []).map(block => `${block}\n`);
}

/** Joins PEM blocks into one bundle, dropping repeats, in the order given. */
export function joinPemBundle(blocks: readonly string[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const block of blocks.flatMap(splitPemBundle)) {
    if (seen.has(block)) continue;
    seen.add(block);
    out.push(block);
  }
  return out.join("");
}

/** Parses one PEM certificate (the first of a bundle). Throws a TlsError when it cannot. */
export function readCertificate(pem: string): CertificateInfo {
  const x509 = parse(pem);
  const names = parseSubjectAltName(x509.subjectAltName ?? "");
  return {
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256,
    isCa: x509.ca,
    ...names,
  };
}

/** True when `certPem` was signed by the key of `caPem` (issuer name and signature both match). */
export function isIssuedBy(certPem: string, caPem: string): boolean {
  const cert = parse(certPem);
  const ca = parse(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** The first certificate of `bundlePem` that issued `certPem`, if any. */
export function findIssuer(certPem: string, bundlePem: string): string | undefined {
  return splitPemBundle(bundlePem).find(ca => isIssuedBy(certPem, ca));
}

/** True when the private key belongs to the certificate. False, not a throw, on bad key PEM. */
export function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    return parse(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/**
 * The names a Service-backed webhook is reached by (`svc`, `svc.ns`, `svc.ns.svc` and the
 * cluster-local FQDN), plus extra SANs: IP literals become IP SANs, the rest DNS names.
 */
export function servingNames(
  serviceName: string,
  namespace: string,
  extraSans: readonly string[],
): SubjectNames {
  const dnsNames = [
    serviceName,
    `${serviceName}.${namespace}`,
    `${serviceName}.${namespace}.svc`,
    `${serviceName}.${namespace}.svc.cluster.local`,
  ];
  const ipAddresses: string[] = [];
  for (const san of extraSans) {
    if (isIP(san) !== 0) ipAddresses.push(canonicalIp(san));
    else dnsNames.push(san);
  }
  return { dnsNames: unique(dnsNames), ipAddresses: unique(ipAddresses) };
}

/** True when the certificate carries every wanted name (it may carry more). */
export function coversNames(info: CertificateInfo, wanted: SubjectNames): boolean {
  const dns = new Set(info.dnsNames.map(name => name.toLowerCase()));
  const ips = new Set(info.ipAddresses.map(canonicalIp));
  return (
    wanted.dnsNames.every(name => dns.has(name.toLowerCase())) &&
    wanted.ipAddresses.every(ip => ips.has(ip))
  );
}

function parse(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new TlsError("certificate is not valid PEM", { cause: err });
  }
}

// Node prints SANs as `DNS:a, DNS:b, IP Address:127.0.0.1`; names with commas are quoted, and
// never occur in what we issue or check.
function parseSubjectAltName(text: string): SubjectNames {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const entry of text.split(", ")) {
    if (entry.startsWith("DNS:")) dnsNames.push(entry.slice(4));
    else if (entry.startsWith("IP Address:")) ipAddresses.push(entry.slice(11));
  }
  return { dnsNames, ipAddresses };
}

// Node prints IPv6 SANs expanded and upper-case (`FD00:0:0:0:0:0:A:1`); the URL parser gives
// one compressed lower-case form for any spelling.
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
