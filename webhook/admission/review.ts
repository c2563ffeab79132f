import { BadRequestError } from "../errors.js";

/**
 * The AdmissionReview wire shapes we read and write, and the shape check that separates a review
 * (answered in-band, always HTTP 200) from anything else (HTTP 400). Only the fields imageswap
 * uses are typed; everything else passes through untouched.
 */

/** Versions we answer; the response echoes the request's so older clients keep working. */
export const REVIEW_VERSIONS = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] as const;
export type ReviewVersion = (typeof REVIEW_VERSIONS)[number];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
const OPERATIONS: readonly string[] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  /** e.g. `ephemeralcontainers` for `pods/ephemeralcontainers`; absent for the main resource. */
  subResource?: string;
  operation: Operation;
  namespace?: string;
  name?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface DecodedReview {
  apiVersion: ReviewVersion;
  request: AdmissionRequest;
}

export interface JsonPatchOperation {
  op: "add" | "replace";
  path: string;
  value: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: "JSONPatch";
  /** Base64 of the JSON Patch document. */
  patch?: string;
  warnings?: string[];
  status?: { code: number; message: string };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readKind(value: unknown): GroupVersionKind {
  if (!isRecord(value) || typeof value.kind !== "string" || value.kind === "") {
    throw new BadRequestError("request.kind must be an object with a non-empty kind");
  }
  const group = typeof value.group === "string" ? value.group : "";
  const version = typeof value.version === "string" ? value.version : "";
  return { group, version, kind: value.kind };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function readRequest(value: unknown): AdmissionRequest {
  if (!isRecord(value)) throw new BadRequestError("review has no request object");
  if (typeof value.uid !== "string" || value.uid === "") {
    throw new BadRequestError("request.uid must be a non-empty string");
  }
  if (typeof value.operation !== "string" || !OPERATIONS.includes(value.operation)) {
    throw new BadRequestError(`request.operation "${String(value.operation)}" is not known`);
  }

  return {
    uid: value.uid,
    kind: readKind(value.kind),
    subResource: optionalString(value.subResource),
    operation: value.operation as Operation,
    namespace: optionalString(value.namespace),
    name: optionalString(value.name),
    object: value.object ?? undefined,
    oldObject: value.oldObject ?? undefined,
    dryRun: value.dryRun === true,
  };
}

/**
 * Checks that a parsed body is an AdmissionReview we can answer.
 * @throws BadRequestError naming the first problem; the caller answers HTTP 400.
 */
export function decodeReview(body: unknown): DecodedReview {
  if (!isRecord(body)) throw new BadRequestError("body is not a JSON object");
  if (body.kind !== "AdmissionReview") {
    throw new BadRequestError(`kind "${String(body.kind)}" is not AdmissionReview`);
  }
  if (!REVIEW_VERSIONS.includes(body.apiVersion as ReviewVersion)) {
    throw new BadRequestError(`apiVersion "${String(body.apiVersion)}" is not supported`);
  }
  return { apiVersion: body.apiVersion as ReviewVersion, request: readRequest(body.request) };
}

/** The uid of a body that failed the shape check, when one can be found, to echo it anyway. */
export function findUid(body: unknown): string {
  if (!isRecord(body) || !isRecord(body.request)) return "";
  return typeof body.request.uid === "string" ? body.request.uid : "";
}

/** The answer to a valid review: allowed, with the patch when there is one. */
export function allowResponse(
  uid: string,
  patch: readonly JsonPatchOperation[],
  warnings: readonly string[],
): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: true };
  if (patch.length > 0) {
    response.patchType = "JSONPatch";
    response.patch = Buffer.from(JSON.stringify(patch)).toString("base64");
  }
  if (warnings.length > 0) response.warnings = [...warnings];
  return response;
}

/** The body sent with an HTTP 4xx: the apiserver ignores it, a person reading curl output does not. */
export function rejectResponse(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message } };
}

export function encodeReview(apiVersion: string, response: AdmissionResponse): string {
  return JSON.stringify({ apiVersion, kind: "AdmissionReview", response });
}
