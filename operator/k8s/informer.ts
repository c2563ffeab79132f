import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { RetryableError } from "../../webhook/errors.js";
import { errorFields, type Logger } from "../../webhook/telemetry/logger.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import { toImageSwapError } from "./api-errors.js";
import { backoffDelayMs, sleep as realSleep, type BackoffOptions, type Sleep } from "./backoff.js";

export type InformerEventType = "add" | "update" | "delete";

export interface InformerEvent<T> {
  type: InformerEventType;
  object: T;
}

export type InformerListener<T> = (event: InformerEvent<T>) => void;

/**
 * The read side of an informer: what reconcilers, the policy compiler and the webhook's views
 * use. Reads never touch the apiserver; they answer from the last list+watch state.
 */
export interface ReadCache<T> {
  /** `namespace` is omitted for cluster-scoped objects. */
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
  /** True once the first list has filled the cache; stays true across later restarts. */
  hasSynced(): boolean;
}

export interface InformerOptions<T extends KubernetesObject> {
  /** Plural resource name for logs and `informer_restarts_total{resource}`, e.g. "namespaces". */
  resource: string;
  kubeConfig: KubeConfig;
  /** Collection URL path, e.g. `/api/v1/namespaces`. */
  path: string;
  /** Lists the same collection (with the same selectors) as the watch on `path`. */
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  log: Logger;
  metrics: Metrics;
  /** Restart delays after consecutive failures. @default { initialMs: 500, maxMs: 30000 } */
  backoff?: BackoffOptions;
  /** Injected in tests. @default a setTimeout-based abortable sleep */
  sleep?: Sleep;
}

/**
 * A list+watch cache over client-node's ListWatch that keeps itself alive.
 *
 * client-node relists on `410 Gone` and re-watches when the server closes a watch, but on any
 * other error (apiserver down, 5xx, a failed list) it emits `error` and stops for good. This
 * wrapper restarts it after a capped exponential backoff, counts each restart in
 * `informer_restarts_total{resource}` and logs it at warn. A restart resumes the watch from the
 * last resourceVersion; if that is too old the apiserver answers 410 and the cache relists,
 * emitting `delete` for objects that vanished meanwhile.
 *
 * TODO(#5): client-node's watch sets no idle timeout (and ListWatch cannot ask the apiserver
 * for `timeoutSeconds`), so a half-open connection is noticed only by TCP keep-alive, minutes
 * later; until then this replica serves its last table, as it would in an outage.
 */
export class Informer<T extends KubernetesObject> implements ReadCache<T> {
  private readonly lw: ListWatch<T>;
  private readonly listeners = new Set<InformerListener<T>>();
  private readonly sleep: Sleep;
  private stopped = true;
  private synced = false;
  private failures = 0;
  private restartPending = false;
  private failedDuringConnect = false;
  private abort = new AbortController();
  private syncWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];

  constructor(private readonly options: InformerOptions<T>) {
    this.sleep = options.sleep ?? realSleep;
    this.lw = new ListWatch<T>(
      options.path,
      new Watch(options.kubeConfig),
      () => this.listAll(),
      false,
      options.labelSelector,
      options.fieldSelector,
    );
    this.lw.on("add", obj => this.emit("add", obj));
    this.lw.on("update", obj => this.emit("update", obj));
    this.lw.on("delete", obj => this.emit("delete", obj));
    this.lw.on("error", err => this.onError(err));
  }

  get resource(): string {
    return this.options.resource;
  }

  /** Starts listing and watching in the background; see `waitForSync`. Idempotent. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    void this.connect();
  }

  /** Stops watching and cancels a pending restart; the cache keeps its last content. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    await this.lw.stop();
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    const err = new RetryableError(`informer ${this.resource} stopped before its first sync`);
    for (const waiter of waiters) waiter.reject(err);
  }

  /** Subscribes to cache changes; returns the unsubscribe function. */
  onChange(listener: InformerListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.lw.list(namespace);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * Resolves once the first list has filled the cache. Rejects with a RetryableError when the
   * informer is stopped first.
   */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
  }

  /** A full list: at start, and again when a resumed watch meets 410 Gone. */
  private async listAll(): Promise<KubernetesListObject<T>> {
    const result = await this.options.list();
    this.options.log.info("informer listed", {
      resource: this.resource,
      items: result.items.length,
      resourceVersion: result.metadata?.resourceVersion,
    });
    return result;
  }

  private async connect(): Promise<void> {
    this.failedDuringConnect = false;
    try {
      // Resolves after the list (when needed) and once the watch response has started; a
      // failure in either is reported through the `error` callback, not by rejecting.
      await this.lw.start();
    } catch (err) {
      this.onError(err);
    }
    if (this.stopped || this.failedDuringConnect) return;

    if (this.failures > 0) {
      this.options.log.info("informer reconnected", {
        resource: this.resource,
        attempt: this.failures,
      });
    }
    this.failures = 0;
    this.markSynced();
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  private onError(err: unknown): void {
    // Aborting the watch on stop() surfaces as an error too; it is not a failure.
    if (this.stopped) return;
    this.failedDuringConnect = true;
    if (this.restartPending) return;

    this.restartPending = true;
    this.failures += 1;
    const delayMs = backoffDelayMs(this.failures, this.options.backoff);
    this.options.metrics.informerRestarts.inc({ resource: this.resource });
    this.options.log.warn("informer restarting", {
      resource: this.resource,
      attempt: this.failures,
      delayMs,
      err: errorFields(toImageSwapError(err, `list/watch ${this.resource}`)),
    });
    void this.restartAfter(delayMs);
  }

  private async restartAfter(delayMs: number): Promise<void> {
    await this.sleep(delayMs, this.abort.signal);
    this.restartPending = false;
    if (this.stopped) return;
    await this.connect();
  }

  private emit(type: InformerEventType, object: T): void {
    for (const listener of this.listeners) {
      try {
        listener({ type, object });
      } catch (err) {
        // A throwing listener must not break client-node's watch handler for the others.
        this.options.log.error("informer listener failed", {
          resource: this.resource,
          err: errorFields(err),
        });
      }
    }
  }
}
