/**
 * Capped exponential backoff and an abortable sleep, shared by informer restarts and the work
 * queue's per-key retries. Pure arithmetic plus one timer: callers inject `sleep` in tests so that
 * jest fake timers (or an instant stub) drive the waits, never real ones.
 */

export interface BackoffOptions {
  /** First delay. @default 500 */
  initialMs?: number;
  /** Ceiling for any delay. @default 30000 */
  maxMs?: number;
  /** Growth per failure. @default 2 */
  factor?: number;
}

/** Sleeps `ms`; resolves early (without throwing) when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise(resolve => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * The delay after the `failures`-th consecutive failure (1-based): initial, initial*factor, ...
 * never above `maxMs`. Zero failures means no wait.
 */
export function backoffDelayMs(failures: number, options: BackoffOptions = {}): number {
  const initialMs = options.initialMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const factor = options.factor ?? 2;
  if (failures <= 0) return 0;

  // Past ~60 doublings the float overflows to Infinity; the cap makes that harmless.
  const raw = initialMs * Math.pow(factor, Math.min(failures - 1, 64));
  return Math.min(raw, maxMs);
}
