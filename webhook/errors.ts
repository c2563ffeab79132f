/**
 * The one catalogue of errors imageswap throws. Every error has a stable `code` that logs,
 * metrics and tests can rely on; messages say what failed, on what, and why, without secrets.
 */
export type ErrorCode =
  | "IMAGESWAP_CONFIG"
  | "IMAGESWAP_NOT_FOUND"
  | "IMAGESWAP_CONFLICT"
  | "IMAGESWAP_TERMINAL"
  | "IMAGESWAP_TLS"
  | "IMAGESWAP_POLICY"
  | "IMAGESWAP_REFERENCE"
  | "IMAGESWAP_BAD_REQUEST"
  | "IMAGESWAP_RETRYABLE";

export abstract class ImageSwapError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid configuration (flags, environment, files). Startup collects these and exits 1. */
export class ConfigError extends ImageSwapError {
  readonly code = "IMAGESWAP_CONFIG";
  /** Every problem found, so that one run reports all of them at once. */
  readonly problems: readonly string[];

  constructor(problems: string[] | string, options?: { cause?: unknown }) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.join("; "), options);
    this.problems = list;
  }
}

export class NotFoundError extends ImageSwapError {
  readonly code = "IMAGESWAP_NOT_FOUND";
}

/** A write lost an optimistic-concurrency race (HTTP 409); retry after re-reading. */
export class ConflictError extends ImageSwapError {
  readonly code = "IMAGESWAP_CONFLICT";
}

/** Retrying cannot help: log once, report on status or an Event, do not requeue. */
export class TerminalError extends ImageSwapError {
  readonly code = "IMAGESWAP_TERMINAL";
}

/** A transient failure (apiserver unreachable, 429, 5xx): requeue with backoff. */
export class RetryableError extends ImageSwapError {
  readonly code = "IMAGESWAP_RETRYABLE";
}

/** A certificate or key that cannot be loaded, does not match, or has expired. */
export class TlsError extends ImageSwapError {
  readonly code = "IMAGESWAP_TLS";
}

/** A policy or one of its rules that does not compile. */
export class PolicyError extends ImageSwapError {
  readonly code = "IMAGESWAP_POLICY";
}

/** A string that is not a valid container image reference. */
export class ReferenceError extends ImageSwapError {
  readonly code = "IMAGESWAP_REFERENCE";
}

/** A request that is not a well-formed AdmissionReview: answered with HTTP 400. */
export class BadRequestError extends ImageSwapError {
  readonly code = "IMAGESWAP_BAD_REQUEST";
}

export function isImageSwapError(err: unknown): err is ImageSwapError {
  return err instanceof ImageSwapError;
}
