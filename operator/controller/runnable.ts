/**
 * Something the operator starts and stops as a unit: a controller, a watcher, a reconciler.
 * `operator.ts` runs two lists of these, every-replica and leader-only (see docs/operator.md).
 *
 * `start()` returns at once and does its work in the background; `stop()` resolves when that
 * work has ended (in-flight writes finished or abandoned), and is safe to call twice.
 */
export interface Runnable {
  /** For logs, e.g. "policy-status" or "cert-secret-watcher". */
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}
