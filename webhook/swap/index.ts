/**
 * The swap engine's public API: the only module other folders import from `webhook/swap`.
 * Pure: no I/O, no clock, no logger. Callers read files and log; the engine maps data to data.
 *
 * Typical use (operator): `compile(inputs, generation)` → publish `table`, write `reports` to each
 * policy's status. Webhook: `table.swap(image, namespaceLabels)` per container image.
 */
import { compilePolicy } from "./compile-policy.js";
import { buildTable } from "./table.js";
import type { CompiledPolicy, PolicyInput, PolicyReport, SwapTable } from "./types.js";

export type * from "./types.js";
export { compilePolicy } from "./compile-policy.js";
export type { CompilePolicyResult } from "./compile-policy.js";
export { buildTable, emptyTable } from "./table.js";
export {
  DOCKER_HUB,
  formatReference,
  isValidReference,
  nameOf,
  parseReference,
} from "./reference.js";
export type { ImageReference, ParseResult } from "./reference.js";
export { checkSelector, matchesSelector } from "./selector.js";
export { parseMapFile, policyFromMapFile } from "./map-file.js";
export type {
  MapFile,
  MapFileDiagnostic,
  MapFileEntry,
  MapFileEntryKind,
  MapFilePolicyResult,
} from "./map-file.js";
export { loadPolicyDocuments } from "./policy-documents.js";
export type { PolicyDocuments, SourceDiagnostic } from "./policy-documents.js";
export { describeDecision, describeRule, fieldOf } from "./explain.js";

export interface CompileResult {
  /** Built from every policy that compiled; invalid rules are left out, never fatal. */
  table: SwapTable;
  /** One per input, in input order, for `status.rules` and the Ready condition. */
  reports: PolicyReport[];
}

/**
 * Compiles every policy and builds one immutable table. A policy that cannot be used at all
 * (bad selector, mode or priority) is left out of the table and reported not ready.
 */
export function compile(inputs: readonly PolicyInput[], generation: number): CompileResult {
  const policies: CompiledPolicy[] = [];
  const reports: PolicyReport[] = [];
  for (const input of inputs) {
    const { policy, report } = compilePolicy(input);
    if (policy) policies.push(policy);
    reports.push(report);
  }
  return { table: buildTable(policies, generation), reports };
}
