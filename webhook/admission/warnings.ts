import type { ImageChange } from "./patch.js";
import type { ImageSlot } from "./image-slots.js";

// The apiserver may truncate a warning past 256 characters and caps the total it returns, so
// each is kept short and a Pod with many images gets a summary line instead of a flood.
const MAX_WARNING_CHARS = 256;
const MAX_WARNINGS = 32;

export function swapWarning(change: ImageChange): string {
  const text = `${change.from} -> ${change.to}`;
  return change.applied ? text : `audit: ${text} (not applied)`;
}

export function slotWarning(slot: ImageSlot, problem: string): string {
  return `${slot.field}[${slot.name}]: ${problem}; image left unchanged`;
}

/** Dedupes (one image in ten containers is one warning), truncates and caps the list. */
export function finishWarnings(warnings: readonly string[]): string[] {
  const unique = [...new Set(warnings)].map(w =>
    w.length > MAX_WARNING_CHARS ? w.slice(0, MAX_WARNING_CHARS - 3) + "..." : w,
  );
  if (unique.length <= MAX_WARNINGS) return unique;
  const kept = unique.slice(0, MAX_WARNINGS - 1);
  return [...kept, `and ${unique.length - kept.length} more`];
}
