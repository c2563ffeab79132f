import type { GroupVersionKind } from "./review.js";

/**
 * Where the pod lives inside an admitted object: the Pod itself, or the pod template of a
 * workload. Paths are JSON Pointer tokens from the object root.
 */
export interface PodTarget {
  metadataPath: readonly string[];
  specPath: readonly string[];
  /** The pod (template) metadata; `undefined` when the object has none yet. */
  metadata: Record<string, unknown> | undefined;
  spec: Record<string, unknown> | undefined;
  /** Labels of the workload that owns the template (empty for a Pod): an opt-out there counts too. */
  ownerLabels: Readonly<Record<string, string>>;
}

interface TemplateLocation {
  group: string;
  template: readonly string[];
}

const POD: TemplateLocation = { group: "", template: [] };

// Served only with --mutate-workloads: rewriting a template makes the stored object differ from
// what was applied, which GitOps tools then report as drift.
const WORKLOADS: Readonly<Record<string, TemplateLocation>> = {
  Deployment: { group: "apps", template: ["spec", "template"] },
  StatefulSet: { group: "apps", template: ["spec", "template"] },
  DaemonSet: { group: "apps", template: ["spec", "template"] },
  ReplicaSet: { group: "apps", template: ["spec", "template"] },
  Job: { group: "batch", template: ["spec", "template"] },
  CronJob: { group: "batch", template: ["spec", "jobTemplate", "spec", "template"] },
  ReplicationController: { group: "", template: ["spec", "template"] },
  PodTemplate: { group: "", template: ["template"] },
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `tokens` below `root`, or `undefined` when a step is missing or not an object. */
export function valueAt(root: unknown, tokens: readonly string[]): unknown {
  let node = root;
  for (const token of tokens) {
    if (!isRecord(node)) return undefined;
    node = node[token];
  }
  return node;
}

export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, v] of Object.entries(value)) if (typeof v === "string") out[key] = v;
  return out;
}

function locationFor(kind: GroupVersionKind, workloads: boolean): TemplateLocation | undefined {
  if (kind.kind === "Pod" && kind.group === "") return POD;
  const workload = workloads ? WORKLOADS[kind.kind] : undefined;
  return workload && workload.group === kind.group ? workload : undefined;
}

/**
 * Finds the pod to rewrite in `object`, or `undefined` when the kind is not one we serve
 * (anything but a core Pod, unless `workloads` enables the template-bearing kinds).
 */
export function locatePodTarget(
  kind: GroupVersionKind,
  object: unknown,
  workloads: boolean,
): PodTarget | undefined {
  const location = locationFor(kind, workloads);
  if (!location || !isRecord(object)) return undefined;

  const metadataPath = [...location.template, "metadata"];
  const specPath = [...location.template, "spec"];
  const metadata = valueAt(object, metadataPath);
  const spec = valueAt(object, specPath);
  const ownerLabels = location === POD ? {} : stringMap(valueAt(object, ["metadata", "labels"]));
  return {
    metadataPath,
    specPath,
    metadata: isRecord(metadata) ? metadata : undefined,
    spec: isRecord(spec) ? spec : undefined,
    ownerLabels,
  };
}
