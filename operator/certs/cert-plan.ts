import { TerminalError } from "../../webhook/errors.js";
import type { SubjectNames } from "./certificate-info.js";
import { coversNames, joinPemBundle } from "./certificate-info.js";
import type { GeneratedCertificates } from "./cert-generator.js";
import type { TlsSecretContent, TlsSecretState } from "./tls-secret.js";

/**
 * Pure planning of the certificate Secret: given what is stored, what the webhook configuration
 * trusts and the time, decide the next step. No I/O and no clock of its own.
 *
 * WARNING: the order of the phases is what makes rotation safe. The new CA must be trusted by the
 * apiserver before any replica serves a certificate it signed, and the old CA must stay trusted
 * until no replica serves the old certificate any more.
 */

export type RotationReason = "requested" | "renewal-due" | "names-changed" | "pending-invalid";

export type CertPlan =
  /** Write fresh CA and pair in one step: nothing usable is stored, so nothing can break. */
  | { action: "create"; reason: string }
  | { action: "begin-rotation"; reason: RotationReason }
  | { action: "mark-trusted" }
  | { action: "promote" }
  | { action: "finish" }
  | { action: "wait"; requeueAfterMs: number; reason: string };

export interface CertPlanOptions {
  /** Rotate when less than this is left on the serving certificate or its CA. */
  renewBeforeMs: number;
  /** Time for the apiserver and every replica to pick up a change, per phase. */
  graceMs: number;
  /** Names the serving certificate must carry. */
  names: SubjectNames;
}

export interface CertPlanInput {
  /** `undefined` when the Secret does not exist. */
  secret: TlsSecretState | undefined;
  /**
   * SHA-256 fingerprints of the CAs in the webhook configuration's caBundle; `undefined` when no
   * webhook of ours needs to trust anything (configuration not managed, or break glass).
   */
  trustedFingerprints: readonly string[] | undefined;
  now: Date;
}

/** Re-check at least this often, however far away renewal is. */
export const MAX_WAIT_MS = 60 * 60 * 1000;
/** How often to look again while the caBundle has not taken the new CA. */
export const TRUST_POLL_MS = 2000;

export function planCertificate(input: CertPlanInput, options: CertPlanOptions): CertPlan {
  const { secret, now } = input;
  if (secret === undefined) return { action: "create", reason: "secret missing" };
  if (secret.serving === undefined) {
    return { action: "create", reason: secret.servingProblem ?? "tls.crt unusable" };
  }
  if (expiry(secret) <= now.getTime()) return { action: "create", reason: "certificate expired" };

  switch (secret.phase) {
    case "Stable":
      return planStable(secret, now, options);
    case "Trusting":
      return planTrusting(secret, input.trustedFingerprints);
    case "Trusted":
      return secret.next === undefined
        ? { action: "begin-rotation", reason: "pending-invalid" }
        : afterGrace(secret, now, options, { action: "promote" });
    case "Serving":
      return afterGrace(secret, now, options, { action: "finish" });
  }
}

/** The instant renewal falls due: `renewBeforeMs` ahead of the earlier of leaf and CA expiry. */
export function renewalDue(secret: TlsSecretState, renewBeforeMs: number): Date {
  return new Date(expiry(secret) - renewBeforeMs);
}

/**
 * The Secret content a plan leads to. `generated` is required for `create` and
 * `begin-rotation` and ignored otherwise. Throws on `wait`, which writes nothing.
 */
export function nextTlsContent(
  secret: TlsSecretState | undefined,
  plan: CertPlan,
  now: Date,
  generated?: GeneratedCertificates,
): TlsSecretContent {
  const step = { phaseSince: now };
  if (plan.action === "create") {
    const fresh = required(generated);
    return { ...step, phase: "Stable", pems: pemsOf(fresh) };
  }
  const current = requiredState(secret);
  if (plan.action === "begin-rotation") {
    const fresh = required(generated);
    const caCrt = joinPemBundle([fresh.caCert, current.serving.issuerPem]);
    const pems = {
      ...servingPems(current),
      caCrt,
      nextCrt: fresh.servingCert,
      nextKey: fresh.servingKey,
    };
    return { ...step, phase: "Trusting", pems };
  }
  return nextPhaseContent(current, plan, step);
}

function planStable(secret: TlsSecretState, now: Date, options: CertPlanOptions): CertPlan {
  const due = renewalDue(secret, options.renewBeforeMs).getTime();
  if (secret.rotateRequested) return { action: "begin-rotation", reason: "requested" };
  if (!coversNames(secret.serving!.cert, options.names)) {
    return { action: "begin-rotation", reason: "names-changed" };
  }
  if (due <= now.getTime()) return { action: "begin-rotation", reason: "renewal-due" };
  return {
    action: "wait",
    requeueAfterMs: Math.min(due - now.getTime(), MAX_WAIT_MS),
    reason: "renewal not due",
  };
}

function planTrusting(secret: TlsSecretState, trusted: readonly string[] | undefined): CertPlan {
  if (secret.next === undefined) return { action: "begin-rotation", reason: "pending-invalid" };
  if (trusted === undefined || trusted.includes(secret.next.issuer.fingerprint256)) {
    return { action: "mark-trusted" };
  }
  return { action: "wait", requeueAfterMs: TRUST_POLL_MS, reason: "caBundle lacks the new CA" };
}

function afterGrace(
  secret: TlsSecretState,
  now: Date,
  options: CertPlanOptions,
  next: CertPlan,
): CertPlan {
  // TODO(#6): the grace is a fixed time, not an acknowledgement: a replica whose watch lags
  // longer may still serve the old pair when the old CA leaves. Replicas could report the
  // certificate they serve (e.g. on their Pod) so that the leader waits for all of them.
  // A phase without a start time (edited by hand) counts as started long ago.
  const since = secret.phaseSince?.getTime() ?? 0;
  const left = since + options.graceMs - now.getTime();
  return left <= 0 ? next : { action: "wait", requeueAfterMs: left, reason: "grace period" };
}

function nextPhaseContent(
  current: TlsSecretState & { serving: NonNullable<TlsSecretState["serving"]> },
  plan: CertPlan,
  step: { phaseSince: Date },
): TlsSecretContent {
  const pems = { ...servingPems(current), caCrt: current.pems.caCrt! };
  switch (plan.action) {
    case "mark-trusted":
      return {
        ...step,
        phase: "Trusted",
        pems: { ...pems, nextCrt: current.pems.nextCrt, nextKey: current.pems.nextKey },
      };
    case "promote":
      return {
        ...step,
        phase: "Serving",
        pems: { ...pems, tlsCrt: current.pems.nextCrt!, tlsKey: current.pems.nextKey! },
      };
    case "finish":
      // The CA that issued what replicas serve now is the only one left trusted.
      return { ...step, phase: "Stable", pems: { ...pems, caCrt: current.serving.issuerPem } };
    default:
      throw new TerminalError(`plan ${plan.action} writes no secret`);
  }
}

function expiry(secret: TlsSecretState): number {
  const serving = secret.serving!;
  return Math.min(serving.cert.notAfter.getTime(), serving.issuer.notAfter.getTime());
}

function servingPems(state: TlsSecretState): { tlsCrt: string; tlsKey: string } {
  return { tlsCrt: state.pems.tlsCrt!, tlsKey: state.pems.tlsKey! };
}

function pemsOf(fresh: GeneratedCertificates): TlsSecretContent["pems"] {
  return { tlsCrt: fresh.servingCert, tlsKey: fresh.servingKey, caCrt: fresh.caCert };
}

function required(generated: GeneratedCertificates | undefined): GeneratedCertificates {
  if (generated === undefined) throw new TerminalError("plan needs generated certificates");
  return generated;
}

function requiredState(
  secret: TlsSecretState | undefined,
): TlsSecretState & { serving: NonNullable<TlsSecretState["serving"]> } {
  if (secret?.serving === undefined) throw new TerminalError("plan needs a usable secret");
  return secret as TlsSecretState & { serving: NonNullable<TlsSecretState["serving"]> };
}
