import type { V1Namespace } from "@kubernetes/client-node";
import type { Logger } from "../../webhook/telemetry/logger.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import { Controller } from "../controller/controller.js";
import type { Runnable } from "../controller/runnable.js";
import type { Informer } from "../k8s/informer.js";
import type { ImageSwapPolicy } from "../k8s/resources.js";
import type { CompileSummary, PolicyCompiler } from "./policy-compiler.js";

export interface TableControllerOptions {
  policies: Informer<ImageSwapPolicy>;
  namespaces: Informer<V1Namespace>;
  compiler: PolicyCompiler;
  log: Logger;
  metrics: Metrics;
}

// Every policy event maps to this one key: the table is one level-based object, so a burst of
// policy changes is one compile of the latest cache.
const TABLE_KEY = "swap-table";

/**
 * Every replica: recompiles the swap table when any ImageSwapPolicy changes and publishes it to
 * the webhook. Namespace events need no recompile (the published view reads the live cache).
 * Compiles only once both caches have synced, so the first table is never built from a
 * half-listed cluster.
 */
export class TableController implements Runnable {
  readonly name = "swap-table";
  private readonly controller: Controller;
  private readonly listeners: Array<(summary: CompileSummary) => void> = [];
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: TableControllerOptions) {
    this.controller = new Controller({
      name: this.name,
      reconcile: async () => {
        if (this.hasSynced()) this.compile();
      },
      log: options.log,
      metrics: options.metrics,
    });
  }

  /** Called after every compile, published or not (a rejected update changes status only). */
  onCompiled(listener: (summary: CompileSummary) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.unsubscribe = this.options.policies.onChange(() => this.controller.enqueue(TABLE_KEY));
    this.controller.enqueue(TABLE_KEY);
    this.controller.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.controller.stop();
  }

  /** Waits for both caches, then compiles once; the operator awaits this before serving. */
  async compileWhenSynced(): Promise<CompileSummary> {
    await Promise.all([this.options.policies.waitForSync(), this.options.namespaces.waitForSync()]);
    return this.compile();
  }

  private hasSynced(): boolean {
    return this.options.policies.hasSynced() && this.options.namespaces.hasSynced();
  }

  private compile(): CompileSummary {
    const summary = this.options.compiler.compile();
    for (const listener of this.listeners) listener(summary);
    return summary;
  }
}
