import type { HttpResult } from "../fixtures/admission/harness.js";
import { applyJsonPatch, type PatchOperation } from "./json-patch.js";
import { patchedPodProblems } from "./pod-validity.js";

/**
 * The fuzzer's oracle for one answer of the webhook: which statuses are acceptable, what a
 * well-formed AdmissionReview answer looks like, and whether its patch turns the Pod it was sent
 * into a valid Pod.
 */

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sentRequest(sent: unknown): Json | undefined {
  return isRecord(sent) && isRecord(sent.request) ? sent.request : undefined;
}

function decodePatch(response: Json): PatchOperation[] | string {
  if (response.patchType !== "JSONPatch") return `patchType ${String(response.patchType)}`;
  if (typeof response.patch !== "string") return "patch is not a string";
  let ops: unknown;
  try {
    ops = JSON.parse(Buffer.from(response.patch, "base64").toString("utf8"));
  } catch {
    return "patch is not base64 JSON";
  }
  if (!Array.isArray(ops)) return "patch is not an array";
  return ops as PatchOperation[];
}

/** The body as the server reads it: UTF-8, a leading byte-order mark ignored. */
function parseBody(body: string | Buffer): unknown {
  const text = typeof body === "string" ? body : body.toString("utf8");
  try {
    return JSON.parse(text.replace(/^\ufeff/, ""));
  } catch {
    return undefined;
  }
}

function checkPatch(body: string | Buffer, request: Json, response: Json): string[] {
  const ops = decodePatch(response);
  if (typeof ops === "string") return [ops];
  if (request.operation === "DELETE" || request.operation === "CONNECT")
    return [`a patch for ${String(request.operation)}`];
  // Two fresh copies of the object: the applier and the comparison both work in place.
  const original = sentRequest(parseBody(body))?.object;
  let patched: unknown;
  try {
    patched = applyJsonPatch(sentRequest(parseBody(body))?.object, ops);
  } catch (err) {
    return [`patch does not apply: ${(err as Error).message}`];
  }
  return patchedPodProblems(original, patched);
}

/** The envelope: kind and echoed apiVersion, then the response itself. */
function envelopeProblem(sent: unknown, json: unknown): string | undefined {
  const request = sentRequest(sent);
  if (!isRecord(json) || json.kind !== "AdmissionReview") return "200 without an AdmissionReview";
  if (!isRecord(sent) || json.apiVersion !== sent.apiVersion) return "apiVersion not echoed";
  return responseProblem(request, json.response);
}

function responseProblem(request: Json | undefined, response: unknown): string | undefined {
  if (!isRecord(response)) return "no response object";
  if (request === undefined || response.uid !== request.uid) return "uid not echoed";
  if (typeof response.allowed !== "boolean") return "allowed is not a boolean";
  const warnings = response.warnings ?? [];
  const strings = Array.isArray(warnings) && warnings.every(w => typeof w === "string");
  return strings ? undefined : "warnings is not a list of strings";
}

function checkResponse(body: string | Buffer, json: unknown): string[] {
  const sent = parseBody(body);
  const problem = envelopeProblem(sent, json);
  if (problem !== undefined) return [problem];
  const response = (json as Json).response as Json;
  return response.patch === undefined ? [] : checkPatch(body, sentRequest(sent)!, response);
}

/**
 * Problems with the webhook's answer `result` to the request `body`. 200 must be a well-formed
 * review answer with a patch that applies to a valid Pod; 400 and 413 are the two refusals;
 * anything else is a problem.
 */
export function answerProblems(body: string | Buffer, result: HttpResult): string[] {
  if (result.status === 400 || result.status === 413) return [];
  if (result.status !== 200) return [`status ${result.status}: ${result.text.slice(0, 200)}`];
  return checkResponse(body, result.json);
}
