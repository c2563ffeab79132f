import type { ImageSlot, SpecField } from "./image-slots.js";
import { pointer } from "./json-pointer.js";
import type { PodTarget } from "./pod-target.js";
import { isRecord } from "./pod-target.js";
import type { JsonPatchOperation } from "./review.js";

/** Pod annotation recording the images a policy decided about, before any swap. */
export const ORIGINAL_IMAGES_ANNOTATION = "k8s.twr.io/imageswap-original-images";

/** One image a policy changed; `applied` is false for an Audit decision (reported, not patched). */
export interface ImageChange {
  slot: ImageSlot;
  from: string;
  to: string;
  applied: boolean;
}

/** The annotation's value: `{"containers": {"app": "nginx:1.25"}, "volumes": {...}}`. */
export type OriginalImages = Partial<Record<SpecField, Record<string, string>>>;

function parseOriginalImages(text: string | undefined): OriginalImages {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Someone else's value or a hand edit: ours replaces it rather than failing the Pod.
    return {};
  }
  if (!isRecord(parsed)) return {};
  const out: OriginalImages = {};
  for (const [field, names] of Object.entries(parsed)) {
    if (isRecord(names)) out[field as SpecField] = { ...(names as Record<string, string>) };
  }
  return out;
}

/**
 * The annotation after this admission: entries already present (an UPDATE keeps what CREATE
 * recorded) plus one per change, keyed by spec field and container or volume name.
 */
export function mergeOriginalImages(
  existing: string | undefined,
  changes: readonly ImageChange[],
): string {
  const images = parseOriginalImages(existing);
  for (const { slot, from } of changes) {
    const names = (images[slot.field] ??= {});
    names[slot.name] = from;
  }
  return JSON.stringify(images);
}

function annotationOperation(target: PodTarget, value: string): JsonPatchOperation {
  const annotations = target.metadata?.annotations;
  if (!target.metadata) {
    const metadata = { annotations: { [ORIGINAL_IMAGES_ANNOTATION]: value } };
    return { op: "add", path: pointer(target.metadataPath), value: metadata };
  }
  if (!isRecord(annotations)) {
    const path = pointer([...target.metadataPath, "annotations"]);
    return { op: "add", path, value: { [ORIGINAL_IMAGES_ANNOTATION]: value } };
  }
  const path = pointer([...target.metadataPath, "annotations", ORIGINAL_IMAGES_ANNOTATION]);
  const op = ORIGINAL_IMAGES_ANNOTATION in annotations ? "replace" : "add";
  return { op, path, value };
}

function existingAnnotation(target: PodTarget): string | undefined {
  const annotations = target.metadata?.annotations;
  if (!isRecord(annotations)) return undefined;
  const value = annotations[ORIGINAL_IMAGES_ANNOTATION];
  return typeof value === "string" ? value : undefined;
}

/**
 * The minimal JSON Patch for `changes`: one `replace` per applied image, and the annotation when
 * `annotate` is set and its value changes. Empty when there is nothing to do.
 */
export function buildPatch(
  target: PodTarget,
  changes: readonly ImageChange[],
  annotate: boolean,
): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = changes
    .filter(change => change.applied)
    .map(change => ({
      op: "replace",
      path: pointer([...target.specPath, ...change.slot.path]),
      value: change.to,
    }));
  if (!annotate || changes.length === 0) return ops;

  const existing = existingAnnotation(target);
  const merged = mergeOriginalImages(existing, changes);
  if (merged !== existing) ops.push(annotationOperation(target, merged));
  return ops;
}
