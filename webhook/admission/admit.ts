import type { NamespaceView } from "../server/serving-state.js";
import type { SwapDecision, SwapTable } from "../swap/types.js";
import type { SkipReason } from "../telemetry/metrics.js";
import type { ImageSlot } from "./image-slots.js";
import { listImageSlots, slotKey } from "./image-slots.js";
import { resolveNamespaceLabels } from "./namespace-labels.js";
import type { ImageChange } from "./patch.js";
import { buildPatch } from "./patch.js";
import type { PodTarget } from "./pod-target.js";
import { isRecord, locatePodTarget, stringMap, valueAt } from "./pod-target.js";
import type { AdmissionRequest, JsonPatchOperation } from "./review.js";
import { finishWarnings, slotWarning, swapWarning } from "./warnings.js";

/**
 * The admission decision, pure: a request and the state it is served with in, the patch and
 * warnings out. No I/O, no clock; the server records metrics and logs from the outcome.
 */

export interface AdmitOptions {
  podLabel: string;
  namespaceLabel: string;
  mutateWorkloads: boolean;
  protectedNamespaces: ReadonlySet<string>;
  /** Name each swap in a warning; problems with an image are always reported. */
  warnings: boolean;
}

/** What admit needs of the serving state: one table and one namespace view, read once. */
export interface AdmitState {
  table: SwapTable;
  namespaces: NamespaceView | null;
}

export interface AppliedChange extends ImageChange {
  decision: SwapDecision;
}

export interface AdmissionOutcome {
  result: "patched" | "audited" | "unchanged" | "skipped";
  skipReason?: SkipReason;
  patch: JsonPatchOperation[];
  warnings: string[];
  /** Every image a policy changed (applied or audited), for metrics and logs. */
  changes: AppliedChange[];
}

const DISABLED = "disabled";
const EPHEMERAL_SUBRESOURCE = "ephemeralcontainers";

function skipped(reason: SkipReason, warnings: string[] = []): AdmissionOutcome {
  return { result: "skipped", skipReason: reason, patch: [], warnings, changes: [] };
}

function isOptedOut(target: PodTarget, label: string): boolean {
  return (
    stringMap(target.metadata?.labels)[label] === DISABLED || target.ownerLabels[label] === DISABLED
  );
}

function requestNamespace(request: AdmissionRequest): string {
  return request.namespace ?? String(valueAt(request.object, ["metadata", "namespace"]) ?? "");
}

/** Images of the old object by slot key: on UPDATE, an image that did not change is left alone. */
function previousImages(request: AdmissionRequest, options: AdmitOptions): Map<string, unknown> {
  const previous = new Map<string, unknown>();
  if (request.operation !== "UPDATE" || !isRecord(request.oldObject)) return previous;
  const old = locatePodTarget(request.kind, request.oldObject, options.mutateWorkloads);
  for (const slot of listImageSlots(old?.spec)) previous.set(slotKey(slot), slot.image);
  return previous;
}

function decide(
  table: SwapTable,
  image: string,
  labels: Readonly<Record<string, string>> | undefined,
) {
  try {
    return table.swap(image, labels);
  } catch (err) {
    // The engine reports bad references in `error`; a throw is a bug, contained to this image.
    const message = err instanceof Error ? err.message : String(err);
    return {
      input: image,
      output: image,
      changed: false,
      mode: "Enforce",
      error: message,
    } as const;
  }
}

// NOTE: an output that is not a plausible reference is never written: a patch must not turn a
// valid Pod into one the apiserver rejects.
function isUsableImage(value: unknown): value is string {
  return typeof value === "string" && value !== "" && !/\s/.test(value);
}

interface SlotContext {
  table: SwapTable;
  labels: Readonly<Record<string, string>> | undefined;
  previous: Map<string, unknown>;
  changes: AppliedChange[];
  problems: string[];
}

function considerSlot(slot: ImageSlot, ctx: SlotContext): void {
  if (typeof slot.image !== "string" || slot.image === "") {
    ctx.problems.push(slotWarning(slot, "no image"));
    return;
  }
  if (ctx.previous.get(slotKey(slot)) === slot.image) return;

  const decision = decide(ctx.table, slot.image, ctx.labels);
  if (decision.error !== undefined) {
    ctx.problems.push(slotWarning(slot, `invalid image "${slot.image}": ${decision.error}`));
    return;
  }
  if (!decision.changed || decision.output === slot.image) return;
  if (!isUsableImage(decision.output)) {
    ctx.problems.push(slotWarning(slot, `swap produced an unusable image "${decision.output}"`));
    return;
  }
  const applied = decision.mode !== "Audit";
  ctx.changes.push({ slot, from: slot.image, to: decision.output, applied, decision });
}

function outcomeOf(ctx: SlotContext, patch: JsonPatchOperation[], options: AdmitOptions) {
  const swaps = options.warnings ? ctx.changes.map(swapWarning) : [];
  const warnings = finishWarnings([...swaps, ...ctx.problems]);
  const result = ctx.changes.some(c => c.applied)
    ? "patched"
    : ctx.changes.length > 0
      ? "audited"
      : "unchanged";
  return { result, patch, warnings, changes: ctx.changes } satisfies AdmissionOutcome;
}

/**
 * Decides one admission request. Never throws on bad input: unusable images are left as they
 * are and named in a warning.
 * @param state `undefined` before the first swap table is published (nothing is swapped).
 */
export function admit(
  request: AdmissionRequest,
  state: AdmitState | undefined,
  options: AdmitOptions,
): AdmissionOutcome {
  if (request.operation === "DELETE" || request.operation === "CONNECT") return skipped("delete");
  const target = locatePodTarget(request.kind, request.object, options.mutateWorkloads);
  if (!target) return skipped("not_a_pod");
  const namespace = requestNamespace(request);
  if (options.protectedNamespaces.has(namespace)) return skipped("protected_namespace");
  if (isOptedOut(target, options.podLabel)) return skipped("pod_opted_out");
  if (!state) return skipped("no_table", ["no swap table loaded yet; images left unchanged"]);

  const labels = resolveNamespaceLabels(state.namespaces, namespace, options.namespaceLabel);
  if (labels === null) return skipped("namespace_not_enabled");

  const ctx: SlotContext = {
    table: state.table,
    labels,
    previous: previousImages(request, options),
    changes: [],
    problems: [],
  };
  for (const slot of listImageSlots(target.spec)) considerSlot(slot, ctx);

  // The ephemeralcontainers subresource only takes spec.ephemeralContainers from the object;
  // the apiserver drops metadata changes there, so no annotation is written.
  const annotate = request.subResource !== EPHEMERAL_SUBRESOURCE;
  return outcomeOf(ctx, buildPatch(target, ctx.changes, annotate), options);
}
