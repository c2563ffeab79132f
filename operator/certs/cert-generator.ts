import { randomBytes } from "node:crypto";
import { generate } from "selfsigned";
import type { SubjectNames } from "./certificate-info.js";

/** A fresh CA and the serving pair it signed. The CA's key is never returned nor stored. */
export interface GeneratedCertificates {
  caCert: string;
  servingCert: string;
  servingKey: string;
}

export interface GenerateOptions {
  /** Common name of the serving certificate, e.g. `imageswap.imageswap-system.svc`. */
  commonName: string;
  names: SubjectNames;
  /** Lifetime of both certificates, from `now`. */
  validityDays: number;
  /** The clock reading the certificates start from. */
  now: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Backdated so that an apiserver whose clock runs a little behind ours accepts a brand-new pair.
const CLOCK_SKEW_MS = 60 * 60 * 1000;

/**
 * Generates a new CA and a serving certificate signed by it (ECDSA P-256, SHA-256). Every
 * rotation makes a new CA as well: keeping no CA key means there is none to leak, and the
 * phased rotation makes the CA change as safe as the leaf change.
 */
export async function generateCertificates(
  options: GenerateOptions,
): Promise<GeneratedCertificates> {
  const notBeforeDate = new Date(options.now.getTime() - CLOCK_SKEW_MS);
  const notAfterDate = new Date(options.now.getTime() + options.validityDays * DAY_MS);
  const common = { keyType: "ec", algorithm: "sha256", notBeforeDate, notAfterDate } as const;

  // NOTE: each CA gets a subject of its own. selfsigned writes no key identifiers, and during a
  // rotation the caBundle holds the old and the new CA: OpenSSL-based clients pick the issuer by
  // subject alone and would fail on the wrong one if both were named alike (Go tries each).
  const caName = `${options.commonName}-ca-${randomBytes(4).toString("hex")}`;
  const ca = await generate([{ name: "commonName", value: caName }], {
    ...common,
    extensions: [
      { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
      {
        name: "keyUsage",
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
    ],
  });

  const serving = await generate([{ name: "commonName", value: options.commonName }], {
    ...common,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: altNames(options.names) },
    ],
  });

  return { caCert: ca.cert, servingCert: serving.cert, servingKey: serving.private };
}

function altNames(
  names: SubjectNames,
): Array<{ type: 2; value: string } | { type: 7; ip: string }> {
  return [
    ...names.dnsNames.map(value => ({ type: 2 as const, value })),
    ...names.ipAddresses.map(ip => ({ type: 7 as const, ip })),
  ];
}
