import type { Logger } from "../../webhook/telemetry/logger.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import type { ReconcileOutcome } from "../controller/controller.js";
import { Controller } from "../controller/controller.js";
import type { Runnable } from "../controller/runnable.js";

/** Anything that tells about changes: an Informer. */
export interface ChangeSource {
  onChange(listener: () => void): () => void;
}

export interface SingleObjectControllerOptions {
  /** The `controller` label and log field. */
  name: string;
  /** The one key reconciled, e.g. `imageswap-system/imageswap-tls`. */
  key: string;
  reconcile: () => Promise<ReconcileOutcome>;
  /** Informers whose every change may concern the object (they watch only related objects). */
  triggers: readonly ChangeSource[];
  log: Logger;
  metrics: Metrics;
}

/**
 * A leader-only controller that owns exactly one object: any change of a trigger queues its one
 * key, the queue collapses bursts, and each reconcile reads the caches afresh. A new Controller
 * is made per start, since a stopped work queue stays shut.
 */
export function createSingleObjectController(options: SingleObjectControllerOptions): Runnable {
  let controller: Controller | undefined;
  let unsubscribe: Array<() => void> = [];

  return {
    name: options.name,
    start(): void {
      if (controller) return;
      const running = new Controller({
        name: options.name,
        reconcile: () => options.reconcile(),
        log: options.log,
        metrics: options.metrics,
      });
      controller = running;
      unsubscribe = options.triggers.map(source =>
        source.onChange(() => running.enqueue(options.key)),
      );
      running.enqueue(options.key);
      running.start();
    },
    async stop(): Promise<void> {
      for (const off of unsubscribe) off();
      unsubscribe = [];
      const running = controller;
      controller = undefined;
      await running?.stop();
    },
  };
}
