import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { Logger } from "../../webhook/telemetry/logger.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import { Controller, type ReconcileOutcome } from "../controller/controller.js";
import type { Runnable } from "../controller/runnable.js";
import { callApi, isNotFound } from "../k8s/api-errors.js";
import type { ReadCache } from "../k8s/informer.js";
import type { KubeClients } from "../k8s/kube-config.js";
import {
  FIELD_MANAGER,
  POLICY_API_VERSION,
  POLICY_GROUP,
  POLICY_KIND,
  POLICY_PLURAL,
  POLICY_VERSION,
  type ImageSwapPolicy,
  type ImageSwapPolicyStatus,
} from "../k8s/resources.js";
import type { PolicyCompiler } from "./policy-compiler.js";
import { desiredStatus, isStatusCurrent, READY } from "./policy-status.js";

export interface PolicyStatusWriterOptions {
  clients: KubeClients;
  policies: ReadCache<ImageSwapPolicy>;
  compiler: PolicyCompiler;
  log: Logger;
  metrics: Metrics;
  /** Injected in tests. @default () => new Date() */
  now?: () => Date;
}

/**
 * Leader-only: writes each policy's status (observedGeneration, rule counts, rejected rules,
 * Ready and Conflicted) from the compiler's last outcome, through the status subresource with
 * server-side apply. Keys are policy names; a reconcile writes only when the status differs.
 *
 * TODO(#5): a rejection is not also recorded as an Event, so `kubectl get events` misses it.
 */
export class PolicyStatusWriter implements Runnable {
  readonly name = "policy-status";
  private readonly controller: Controller;
  private readonly now: () => Date;

  constructor(private readonly options: PolicyStatusWriterOptions) {
    this.now = options.now ?? (() => new Date());
    this.controller = new Controller({
      name: this.name,
      reconcile: key => this.reconcile(key),
      log: options.log,
      metrics: options.metrics,
    });
  }

  /** Queues every cached policy; called after each compile (conflicts move between policies). */
  enqueueAll(): void {
    for (const policy of this.options.policies.list()) {
      this.controller.enqueue(policy.metadata?.name ?? "");
    }
  }

  start(): void {
    this.enqueueAll();
    this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(name: string): Promise<ReconcileOutcome> {
    const status = this.pendingStatus(name);
    if (!status) return;

    try {
      await this.apply(name, status);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    this.options.log.info("policy status written", {
      kind: POLICY_KIND,
      name,
      generation: status.observedGeneration,
      ready: status.conditions?.find(c => c.type === READY)?.status,
      rejected: status.rules?.rejected,
    });
  }

  /** The status to write, or undefined when there is nothing (new) to say. */
  private pendingStatus(name: string): ImageSwapPolicyStatus | undefined {
    const policy = this.options.policies.get(name);
    const outcome = this.options.compiler.outcome(name);
    if (!policy || !outcome) return undefined;
    // The compiler has not seen this generation yet; its next compile queues the key again.
    if (outcome.report.generation !== policy.metadata?.generation) return undefined;

    const status = desiredStatus(outcome, policy.status, this.now());
    return isStatusCurrent(policy.status, status) ? undefined : status;
  }

  private apply(name: string, status: ImageSwapPolicyStatus): Promise<unknown> {
    // Server-side apply: fields we stop sending (e.g. rejectedRules once fixed) are removed,
    // and nobody else's status fields are touched.
    const body = { apiVersion: POLICY_API_VERSION, kind: POLICY_KIND, metadata: { name }, status };
    const request = {
      group: POLICY_GROUP,
      version: POLICY_VERSION,
      plural: POLICY_PLURAL,
      name,
      body,
      fieldManager: FIELD_MANAGER,
      force: true,
    };
    const options = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
    return callApi(`apply status of ${POLICY_PLURAL} "${name}"`, () =>
      this.options.clients.custom.patchClusterCustomObjectStatus(request, options),
    );
  }
}
