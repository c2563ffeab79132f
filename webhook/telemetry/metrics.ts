import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type AdmissionResult = "patched" | "unchanged" | "skipped" | "audited" | "invalid" | "error";
export type ContainerKind = "container" | "initContainer" | "ephemeralContainer" | "imageVolume";
export type RuleKindLabel = "exact" | "pattern" | "registry" | "default";
export type SkipReason =
  | "pod_opted_out"
  | "namespace_not_enabled"
  | "protected_namespace"
  | "not_a_pod"
  | "no_table"
  | "delete";
export type ReconcileResult = "success" | "error" | "requeue_after";

/**
 * Every metric imageswap exports, on one registry of its own. Made once at the entry point and
 * passed to whoever records; tests build a fresh one. Label values come from the small fixed
 * sets above: never a Pod name, namespace or image.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly admissionRequests: Counter<"operation" | "result">;
  readonly admissionDuration: Histogram<"operation">;
  readonly imagesSwapped: Counter<"container_kind" | "rule_kind">;
  readonly podsSkipped: Counter<"reason">;
  readonly swapTableGeneration: Gauge;
  readonly swapTableRules: Gauge;
  readonly certificateExpiry: Gauge;
  readonly certificateReloads: Counter<"result">;
  readonly informerRestarts: Counter<"resource">;
  readonly leader: Gauge;
  readonly reconcileTotal: Counter<"controller" | "result">;
  readonly reconcileDuration: Histogram<"controller">;
  readonly queueDepth: Gauge<"controller">;
}

export interface MetricsOptions {
  /** Also export the process and Node.js runtime metrics. @default false */
  includeDefaults?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.includeDefaults) collectDefaultMetrics({ register: registry, prefix: "imageswap_" });
  const registers = [registry];

  return {
    registry,
    admissionRequests: new Counter({
      name: "imageswap_admission_requests_total",
      help: "Admission requests answered, by operation and result",
      labelNames: ["operation", "result"],
      registers,
    }),
    admissionDuration: new Histogram({
      name: "imageswap_admission_duration_seconds",
      help: "Time from request body received to response sent",
      labelNames: ["operation"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    imagesSwapped: new Counter({
      name: "imageswap_images_swapped_total",
      help: "Images rewritten (or, in Audit mode, that would be), by container kind and rule kind",
      labelNames: ["container_kind", "rule_kind"],
      registers,
    }),
    podsSkipped: new Counter({
      name: "imageswap_pods_skipped_total",
      help: "Admission requests left untouched on purpose, by reason",
      labelNames: ["reason"],
      registers,
    }),
    swapTableGeneration: new Gauge({
      name: "imageswap_swap_table_generation",
      help: "Generation of the swap table this replica serves",
      registers,
    }),
    swapTableRules: new Gauge({
      name: "imageswap_swap_table_rules",
      help: "Rules in the swap table this replica serves",
      registers,
    }),
    certificateExpiry: new Gauge({
      name: "imageswap_certificate_expiry_timestamp_seconds",
      help: "Expiry (Unix seconds) of the serving certificate in use",
      registers,
    }),
    certificateReloads: new Counter({
      name: "imageswap_certificate_reloads_total",
      help: "Serving certificate reloads, by result",
      labelNames: ["result"],
      registers,
    }),
    informerRestarts: new Counter({
      name: "imageswap_informer_restarts_total",
      help: "Informer restarts after a watch error, by resource",
      labelNames: ["resource"],
      registers,
    }),
    leader: new Gauge({
      name: "imageswap_leader",
      help: "1 while this replica holds the leader Lease",
      registers,
    }),
    reconcileTotal: new Counter({
      name: "imageswap_reconcile_total",
      help: "Reconciles, by controller and result",
      labelNames: ["controller", "result"],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: "imageswap_reconcile_duration_seconds",
      help: "Reconcile latency by controller",
      labelNames: ["controller"],
      registers,
    }),
    queueDepth: new Gauge({
      name: "imageswap_queue_depth",
      help: "Keys waiting in a controller's work queue",
      labelNames: ["controller"],
      registers,
    }),
  };
}
