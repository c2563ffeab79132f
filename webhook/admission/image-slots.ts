import type { ContainerKind } from "../telemetry/metrics.js";
import { isRecord } from "./pod-target.js";

/** The pod spec lists that carry images, in the order the annotation and warnings use. */
export type SpecField = "containers" | "initContainers" | "ephemeralContainers" | "volumes";

/** One place in a pod spec that names an image. */
export interface ImageSlot {
  field: SpecField;
  containerKind: ContainerKind;
  /** Container or volume name; `[index]` when the entry has none (validation rejects it later). */
  name: string;
  /** JSON Pointer tokens from the pod spec to the image string. */
  path: readonly string[];
  /** The value found there: usually a string, but input is untrusted. */
  image: unknown;
}

const CONTAINER_FIELDS: ReadonlyArray<[SpecField, ContainerKind]> = [
  ["containers", "container"],
  ["initContainers", "initContainer"],
  ["ephemeralContainers", "ephemeralContainer"],
];

function entryName(entry: Record<string, unknown>, index: number): string {
  return typeof entry.name === "string" && entry.name !== "" ? entry.name : `[${index}]`;
}

function containerSlots(spec: Record<string, unknown>, field: SpecField, kind: ContainerKind) {
  const list = spec[field];
  if (!Array.isArray(list)) return [];
  // NOTE: the index is the entry's place in the original list, entries that are not objects
  // included: the patch path must point at the entry itself.
  return list.flatMap((entry: unknown, index): ImageSlot[] =>
    isRecord(entry)
      ? [
          {
            field,
            containerKind: kind,
            name: entryName(entry, index),
            path: [field, String(index), "image"],
            image: entry.image,
          },
        ]
      : [],
  );
}

// Image volumes (`volumes[].image.reference`, KEP-4639) pull an OCI artifact like a container
// image does, so they are swapped by the same rules.
function volumeSlots(spec: Record<string, unknown>): ImageSlot[] {
  const list = spec.volumes;
  if (!Array.isArray(list)) return [];
  const slots: ImageSlot[] = [];
  list.forEach((entry: unknown, index) => {
    if (!isRecord(entry) || !isRecord(entry.image)) return;
    slots.push({
      field: "volumes",
      containerKind: "imageVolume",
      name: entryName(entry, index),
      path: ["volumes", String(index), "image", "reference"],
      image: entry.image.reference,
    });
  });
  return slots;
}

/** Every image a pod spec names, entries that are not objects skipped. */
export function listImageSlots(spec: Record<string, unknown> | undefined): ImageSlot[] {
  if (!spec) return [];
  const slots = CONTAINER_FIELDS.flatMap(([field, kind]) => containerSlots(spec, field, kind));
  return slots.concat(volumeSlots(spec));
}

/** `containers/app`: the key an image is known by across CREATE and UPDATE. */
export function slotKey(slot: Pick<ImageSlot, "field" | "name">): string {
  return `${slot.field}/${slot.name}`;
}
