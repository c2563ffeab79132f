import type { IncomingMessage, ServerResponse } from "node:http";
import type { AdmissionOutcome, AdmitOptions } from "../admission/index.js";
import {
  admit,
  allowResponse,
  decodeReview,
  encodeReview,
  findUid,
  rejectResponse,
} from "../admission/index.js";
import type { AdmissionRequest, AdmissionResponse, DecodedReview } from "../admission/index.js";
import { BadRequestError } from "../errors.js";
import type { Logger } from "../telemetry/logger.js";
import { errorFields } from "../telemetry/logger.js";
import type { Metrics, RuleKindLabel } from "../telemetry/metrics.js";
import { readReviewBody } from "./review-body.js";
import type { StateHolder } from "./serving-state.js";

export interface AdmissionHandlerOptions {
  admit: AdmitOptions;
  maxBodyBytes: number;
  state: StateHolder;
  log: Logger;
  metrics: Metrics;
}

/** Operation label values: the four Kubernetes operations, or `unknown` for a rejected body. */
export type OperationLabel = AdmissionRequest["operation"] | "unknown";

const RULE_KINDS: ReadonlySet<string> = new Set<RuleKindLabel>([
  "exact",
  "pattern",
  "registry",
  "default",
]);

const FAILED_OPEN: AdmissionOutcome = {
  result: "unchanged",
  patch: [],
  warnings: ["imageswap failed on this request; images left unchanged"],
  changes: [],
};

// Written with node's own writeHead/end: res.send's content negotiation costs more than the
// rest of a small answer (measured with the webhook benchmark).
function send(
  res: ServerResponse,
  status: number,
  apiVersion: string,
  body: AdmissionResponse,
): void {
  const text = encodeReview(apiVersion, body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers HTTP 4xx to a body that is not an AdmissionReview, echoing its uid if it has one. */
export function rejectRequest(
  res: ServerResponse,
  status: number,
  body: unknown,
  message: string,
): void {
  const apiVersion =
    typeof (body as { apiVersion?: unknown })?.apiVersion === "string"
      ? (body as { apiVersion: string }).apiVersion
      : "admission.k8s.io/v1";
  send(res, status, apiVersion, rejectResponse(findUid(body), status, message));
}

function recordOutcome(metrics: Metrics, outcome: AdmissionOutcome): void {
  if (outcome.skipReason) metrics.podsSkipped.inc({ reason: outcome.skipReason });
  for (const change of outcome.changes) {
    const kind = change.decision.rule?.kind;
    if (kind === undefined || !RULE_KINDS.has(kind)) continue;
    metrics.imagesSwapped.inc({ container_kind: change.slot.containerKind, rule_kind: kind });
  }
}

// NOTE: every patched Pod logs one info line, so it stays lean: counts, not the images (each
// swap is in the admission warnings and the annotation). winston formats a disabled level too,
// so debug lines are guarded.
function logOutcome(log: Logger, req: AdmissionRequest, outcome: AdmissionOutcome, ms: number) {
  const decided = outcome.result === "patched" || outcome.result === "audited";
  if (!decided && !log.isDebugEnabled()) return;
  const fields = {
    uid: req.uid,
    kind: req.kind.kind,
    operation: req.operation,
    namespace: req.namespace,
    name: req.name,
    result: outcome.result,
    reason: outcome.skipReason,
    ops: outcome.patch.length,
    images: outcome.changes.length,
    warnings: outcome.warnings.length,
    durationMs: ms,
  };
  if (outcome.result === "patched") log.info("admission patched", fields);
  else if (outcome.result === "audited") log.info("admission audited", fields);
  else log.debug("admission allowed unchanged", fields);
}

// WARNING: a valid review is always answered HTTP 200. A 5xx would hand the Pod to the
// webhook's failurePolicy (Fail refuses it) for what is our bug, not the Pod's fault; so an
// internal error fails open: allowed, unpatched, with a warning, logged at error and counted.
function decideSafely(
  o: AdmissionHandlerOptions,
  review: DecodedReview,
): AdmissionOutcome | undefined {
  try {
    return admit(review.request, o.state.current(), o.admit);
  } catch (err) {
    o.log.error("admission failed; allowing unchanged", {
      uid: review.request.uid,
      kind: review.request.kind.kind,
      operation: review.request.operation,
      err: errorFields(err),
    });
    return undefined;
  }
}

async function readReview(o: AdmissionHandlerOptions, req: IncomingMessage, res: ServerResponse) {
  const read = await readReviewBody(req, o.maxBodyBytes);
  if (read === undefined) {
    o.log.debug("request aborted by client", { path: req.url });
    return undefined;
  }
  if (!read.ok) {
    return reject(o, res, { status: read.status, body: undefined, message: read.message });
  }
  try {
    return decodeReview(read.body);
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    return reject(o, res, { status: 400, body: read.body, message: err.message });
  }
}

interface Rejection {
  status: number;
  body: unknown;
  message: string;
}

/** Answers and records a request that is not an AdmissionReview. */
export function reject(
  o: Pick<AdmissionHandlerOptions, "log" | "metrics">,
  res: ServerResponse,
  r: Rejection,
): undefined {
  o.metrics.admissionRequests.inc({ operation: "unknown", result: "invalid" });
  o.log.warn("admission request rejected", {
    status: r.status,
    reason: r.message,
    uid: findUid(r.body) || undefined,
  });
  rejectRequest(res, r.status, r.body, r.message);
  return undefined;
}

async function handle(o: AdmissionHandlerOptions, req: IncomingMessage, res: ServerResponse) {
  const started = process.hrtime.bigint();
  const review = await readReview(o, req, res);
  if (!review) return;

  const decided = decideSafely(o, review);
  const outcome = decided ?? FAILED_OPEN;
  const response = allowResponse(review.request.uid, outcome.patch, outcome.warnings);
  send(res, 200, review.apiVersion, response);

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const operation = review.request.operation;
  o.metrics.admissionRequests.inc({ operation, result: decided ? outcome.result : "error" });
  o.metrics.admissionDuration.observe({ operation }, seconds);
  recordOutcome(o.metrics, outcome);
  logOutcome(o.log, review.request, outcome, Math.round(seconds * 1e6) / 1e3);
}

/**
 * The admission handler for `POST /mutate` and `POST /`: reads and checks the body itself and
 * answers with node's own response methods. It never throws: a failure past the point where a
 * review was decoded is answered in-band by `decideSafely`; anything earlier is logged here.
 */
export function createAdmissionHandler(o: AdmissionHandlerOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(o, req, res).catch((err: unknown) => {
      o.log.error("request failed", { path: req.url, err: errorFields(err) });
      if (!res.headersSent) rejectRequest(res, 500, undefined, "internal error");
    });
  };
}
