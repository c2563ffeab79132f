import type { CompiledPolicy, SwapTable } from "./types.js";

/** A table with no policies: every image is left as it is. */
export function emptyTable(generation: number): SwapTable {
  return Object.freeze({
    generation,
    ruleCount: 0,
    policies: [],
    conflicts: [],
    swap: (image: string) => ({ input: image, output: image, changed: false, mode: "Enforce" }),
  });
}

// TODO(#3): first version so that callers compile; the compiled table lands next.
export function buildTable(_policies: readonly CompiledPolicy[], generation: number): SwapTable {
  return emptyTable(generation);
}
