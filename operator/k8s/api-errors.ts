import { ApiException } from "@kubernetes/client-node";
import {
  ConflictError,
  ImageSwapError,
  NotFoundError,
  RetryableError,
  TerminalError,
} from "../../webhook/errors.js";

/**
 * The only place that looks inside client-node's `ApiException`. Everything above `k8s/` sees
 * errors from the catalogue: 404 NotFound, 409 Conflict, 400/403/422 Terminal (retrying the same
 * request cannot help), everything else (410, 429, 5xx, network) Retryable.
 *
 * NOTE: an ApiException's `message` embeds the response body and headers, so it is never copied
 * into ours; only the Status `reason` and a bounded slice of the Status `message` are kept.
 */

const MAX_DETAIL_CHARS = 200;

/** The HTTP status of a failed API call, or undefined for network and other errors. */
export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown; code?: unknown } | undefined)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof NotFoundError || statusCodeOf(err) === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof ConflictError || statusCodeOf(err) === 409;
}

/** `reason: message` from a Kubernetes Status body, when the body is one. */
function statusDetail(err: ApiException<unknown>): string {
  let body: unknown = err.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return "";
    }
  }
  const status = body as { reason?: unknown; message?: unknown } | undefined;
  const reason = typeof status?.reason === "string" ? status.reason : "";
  const message = typeof status?.message === "string" ? status.message : "";
  const detail = [reason, message].filter(Boolean).join(": ");
  return detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}...` : detail;
}

/**
 * Wraps a failed API call into a catalogue error; `what` names the call, e.g.
 * `patch status of imageswappolicy "a"`. Catalogue errors pass through unchanged.
 */
export function toImageSwapError(err: unknown, what: string): ImageSwapError {
  if (err instanceof ImageSwapError) return err;
  const code = statusCodeOf(err);
  if (code === undefined) {
    const reason = (err as { code?: unknown } | undefined)?.code;
    const suffix = typeof reason === "string" ? ` (${reason})` : "";
    return new RetryableError(`${what} failed: apiserver unreachable${suffix}`, { cause: err });
  }

  // The ApiException itself is not chained as `cause`: a logged cause would carry its message.
  const detail = err instanceof ApiException ? statusDetail(err) : "";
  const message = `${what} failed with http ${code}${detail ? `: ${detail}` : ""}`;
  const ErrorType = ERROR_BY_STATUS.get(code) ?? RetryableError;
  return new ErrorType(message);
}

const ERROR_BY_STATUS = new Map<number, new (message: string) => ImageSwapError>([
  [404, NotFoundError],
  [409, ConflictError],
  [400, TerminalError],
  [403, TerminalError],
  [422, TerminalError],
]);

/** Runs one API call and rethrows its failure as a catalogue error. */
export async function callApi<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toImageSwapError(err, what);
  }
}
