import type { V1ObjectMeta, V1Secret } from "@kubernetes/client-node";
import type { CertificateInfo } from "./certificate-info.js";
import { findIssuer, keyMatches, readCertificate } from "./certificate-info.js";

/**
 * The certificate Secret as the rotation sees it. The rotation state lives in the Secret's own
 * annotations, so that a new leader picks up a rotation where the old one left it.
 */

export const CERT_ANNOTATIONS = {
  /** Where a rotation stands: `Stable`, `Trusting`, `Trusted` or `Serving`. */
  phase: "k8s.twr.io/imageswap-cert-phase",
  /** ISO time the phase was entered; grace periods count from it. */
  phaseSince: "k8s.twr.io/imageswap-cert-phase-since",
  /** Set to "true" by a person to force a rotation of CA and serving certificate. */
  rotate: "k8s.twr.io/imageswap-rotate",
} as const;

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "imageswap-operator";

/**
 * - `Stable`: one CA in `ca.crt`; `tls.crt` is what every replica serves.
 * - `Trusting`: `ca.crt` holds the new and the old CA, the new pair waits in `next.crt`/`next.key`
 *   until the webhook's caBundle holds the new CA.
 * - `Trusted`: the caBundle holds it; wait a grace period for the apiserver to load it.
 * - `Serving`: replicas serve the new pair; the old CA stays trusted for a grace period.
 */
export type RotationPhase = "Stable" | "Trusting" | "Trusted" | "Serving";
const PHASES: readonly RotationPhase[] = ["Stable", "Trusting", "Trusted", "Serving"];

/** The PEM entries of the Secret we read or write. */
export interface TlsPems {
  tlsCrt?: string;
  tlsKey?: string;
  caCrt?: string;
  nextCrt?: string;
  nextKey?: string;
}

const DATA_KEYS: Record<keyof TlsPems, string> = {
  tlsCrt: "tls.crt",
  tlsKey: "tls.key",
  caCrt: "ca.crt",
  nextCrt: "next.crt",
  nextKey: "next.key",
};

/** A usable pair: the certificate, the CA in `ca.crt` that issued it, and that CA's PEM. */
export interface IssuedCertificate {
  cert: CertificateInfo;
  issuer: CertificateInfo;
  issuerPem: string;
}

export interface TlsSecretState {
  resourceVersion?: string;
  phase: RotationPhase;
  phaseSince?: Date;
  rotateRequested: boolean;
  pems: TlsPems;
  /** `tls.crt`, when it parses, its key matches and a CA in `ca.crt` issued it. */
  serving?: IssuedCertificate;
  /** Why `tls.crt` cannot serve; set exactly when `serving` is not. */
  servingProblem?: string;
  /** The pending pair during `Trusting` and `Trusted`. */
  next?: IssuedCertificate;
  nextProblem?: string;
}

/** What to write: the PEM entries (absent `next*` entries are removed) and the phase. */
export interface TlsSecretContent {
  pems: Required<Pick<TlsPems, "tlsCrt" | "tlsKey" | "caCrt">> &
    Pick<TlsPems, "nextCrt" | "nextKey">;
  phase: RotationPhase;
  phaseSince: Date;
}

/** Reads a Secret into the rotation's view of it. Never throws on bad content: it reports it. */
export function inspectTlsSecret(secret: V1Secret): TlsSecretState {
  const annotations = secret.metadata?.annotations ?? {};
  const pems = readPems(secret);
  const phase = PHASES.find(p => p === annotations[CERT_ANNOTATIONS.phase]) ?? "Stable";
  const since = annotations[CERT_ANNOTATIONS.phaseSince];
  const serving = checkPair(pems.tlsCrt, pems.tlsKey, pems.caCrt, "tls");
  const next = phase === "Trusting" || phase === "Trusted";
  const pending = next ? checkPair(pems.nextCrt, pems.nextKey, pems.caCrt, "next") : {};

  return {
    resourceVersion: secret.metadata?.resourceVersion,
    phase,
    phaseSince:
      since !== undefined && !Number.isNaN(Date.parse(since)) ? new Date(since) : undefined,
    rotateRequested: annotations[CERT_ANNOTATIONS.rotate] === "true",
    pems,
    serving: serving.pair,
    servingProblem: serving.problem,
    next: pending.pair,
    nextProblem: pending.problem,
  };
}

/** The Secret's PEM entries, decoded. */
export function readPems(secret: V1Secret): TlsPems {
  const pems: TlsPems = {};
  for (const [field, key] of Object.entries(DATA_KEYS) as Array<[keyof TlsPems, string]>) {
    const value = secret.data?.[key];
    if (value !== undefined) pems[field] = Buffer.from(value, "base64").toString("utf8");
  }
  return pems;
}

/**
 * The Secret to write: `base` (the current object, for its resourceVersion, type and foreign
 * labels and annotations) with our entries and annotations set and the rotate request cleared.
 */
export function buildTlsSecret(
  content: TlsSecretContent,
  target: { namespace: string; name: string },
  base?: V1Secret,
): V1Secret {
  const metadata = base?.metadata ?? {};
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: base?.type ?? "kubernetes.io/tls",
    metadata: {
      // A replace keeps what it is sent: carry the current metadata (owners, finalizers) over.
      ...withoutManagedFields(metadata),
      ...target,
      labels: { ...metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: nextAnnotations(metadata.annotations, content),
    },
    data: nextData(base?.data, content),
  };
}

function nextAnnotations(
  current: Record<string, string> | undefined,
  content: TlsSecretContent,
): Record<string, string> {
  const annotations = { ...current };
  delete annotations[CERT_ANNOTATIONS.rotate];
  annotations[CERT_ANNOTATIONS.phase] = content.phase;
  annotations[CERT_ANNOTATIONS.phaseSince] = content.phaseSince.toISOString();
  return annotations;
}

function nextData(
  current: Record<string, string> | undefined,
  content: TlsSecretContent,
): Record<string, string> {
  const data = { ...current };
  for (const [field, key] of Object.entries(DATA_KEYS) as Array<[keyof TlsPems, string]>) {
    const pem = content.pems[field];
    if (pem === undefined) delete data[key];
    else data[key] = Buffer.from(pem, "utf8").toString("base64");
  }
  return data;
}

function withoutManagedFields(metadata: V1ObjectMeta): V1ObjectMeta {
  const rest = { ...metadata };
  delete rest.managedFields;
  return rest;
}

interface PairCheck {
  pair?: IssuedCertificate;
  problem?: string;
}

function checkPair(cert?: string, key?: string, bundle?: string, prefix = "tls"): PairCheck {
  if (cert === undefined || key === undefined)
    return { problem: `${prefix}.crt or ${prefix}.key missing` };
  if (bundle === undefined) return { problem: "ca.crt missing" };
  try {
    if (!keyMatches(cert, key)) return { problem: `${prefix}.key does not match ${prefix}.crt` };
    const issuerPem = findIssuer(cert, bundle);
    if (issuerPem === undefined) return { problem: `no CA in ca.crt issued ${prefix}.crt` };
    return { pair: { cert: readCertificate(cert), issuer: readCertificate(issuerPem), issuerPem } };
  } catch {
    return { problem: `${prefix}.crt or ca.crt is not a valid certificate` };
  }
}
