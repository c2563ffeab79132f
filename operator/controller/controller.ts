import { TerminalError } from "../../webhook/errors.js";
import { errorFields, type Logger } from "../../webhook/telemetry/logger.js";
import type { Metrics, ReconcileResult } from "../../webhook/telemetry/metrics.js";
import type { BackoffOptions } from "../k8s/backoff.js";
import { splitKey } from "../k8s/object-key.js";
import type { Runnable } from "./runnable.js";
import { WorkQueue } from "./work-queue.js";

/**
 * What a reconcile returns. Four outcomes, as in controller-runtime:
 * - resolve `undefined` (or `{}`): done, the key is forgotten until the next event;
 * - resolve `{ requeueAfterMs }`: done for now, look again after that delay (e.g. a cert renewal);
 * - throw a `TerminalError`: logged once at error, not retried (show it on status instead);
 * - throw anything else: retried with the key's capped exponential backoff.
 */
export type ReconcileOutcome = void | { requeueAfterMs?: number };

/** Reconciles one key from the informer caches; never from the event that queued it. */
export type Reconcile = (key: string) => Promise<ReconcileOutcome>;

export interface ControllerOptions {
  /** The `controller` label and log field, e.g. "policy-status". */
  name: string;
  reconcile: Reconcile;
  log: Logger;
  metrics: Metrics;
  /** Per-key retry delays. @default { initialMs: 200, maxMs: 60000 } */
  backoff?: BackoffOptions;
}

/**
 * A single-worker reconcile loop over a WorkQueue. Event handlers call `enqueue(key)` only;
 * the reconcile re-reads the cache, so a burst of events costs one reconcile.
 *
 * One worker per controller is deliberate: our controllers own few objects, and a single worker
 * makes every reconcile of a controller strictly sequential.
 */
export class Controller implements Runnable {
  private readonly queue: WorkQueue;
  private readonly log: Logger;
  private worker: Promise<void> | undefined;
  private reconcileCount = 0;

  constructor(private readonly options: ControllerOptions) {
    this.queue = new WorkQueue({ initialMs: 200, maxMs: 60_000, ...options.backoff });
    this.log = options.log.child({ controller: options.name });
  }

  get name(): string {
    return this.options.name;
  }

  /** Queues a key; a no-op after `stop()`. */
  enqueue(key: string): void {
    this.queue.add(key);
    this.recordDepth();
  }

  enqueueAfter(key: string, delayMs: number): void {
    this.queue.addAfter(key, delayMs);
  }

  start(): void {
    if (this.worker || this.queue.isShuttingDown) return;
    this.worker = this.work();
  }

  /** Drops queued keys and waits for the reconcile in flight, if any. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    this.recordDepth();
    await this.worker;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.recordDepth();
      await this.process(key);
      this.queue.done(key);
    }
  }

  private async process(key: string): Promise<void> {
    const reconcileId = ++this.reconcileCount;
    const fields = { ...splitKey(key), reconcileId };
    const started = performance.now();
    let result: ReconcileResult = "success";
    try {
      const outcome = await this.options.reconcile(key);
      result = this.settle(key, outcome);
    } catch (err) {
      result = "error";
      this.fail(key, err, fields);
    }

    const durationMs = performance.now() - started;
    this.options.metrics.reconcileTotal.inc({ controller: this.name, result });
    this.options.metrics.reconcileDuration.observe({ controller: this.name }, durationMs / 1000);
    this.log.debug("reconciled", { ...fields, result, durationMs: Math.round(durationMs) });
  }

  private settle(key: string, outcome: ReconcileOutcome): ReconcileResult {
    this.queue.forget(key);
    const afterMs = outcome?.requeueAfterMs;
    if (afterMs === undefined) return "success";
    this.queue.addAfter(key, afterMs);
    return "requeue_after";
  }

  private fail(key: string, err: unknown, fields: Record<string, unknown>): void {
    if (err instanceof TerminalError) {
      this.queue.forget(key);
      this.log.error("reconcile failed terminally", { ...fields, err: errorFields(err) });
      return;
    }
    if (this.queue.isShuttingDown) return;
    const { attempt, delayMs } = this.queue.addRateLimited(key);
    this.log.warn("reconcile failed, retrying", {
      ...fields,
      attempt,
      delayMs,
      err: errorFields(err),
    });
  }

  private recordDepth(): void {
    this.options.metrics.queueDepth.set({ controller: this.name }, this.queue.length);
  }
}
