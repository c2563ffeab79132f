import type { CompiledPolicy, PolicyInput, PolicyReport } from "./types.js";

export interface CompilePolicyResult {
  /** Absent when the policy cannot be used at all (bad selector, mode or priority). */
  policy?: CompiledPolicy;
  report: PolicyReport;
}

// TODO(#3): first version so that callers compile; the rule compiler lands next.
export function compilePolicy(input: PolicyInput): CompilePolicyResult {
  const report: PolicyReport = {
    name: input.name,
    generation: input.generation,
    total: 0,
    accepted: 0,
    rejected: 0,
    diagnostics: [],
    ready: true,
    message: "0 rules",
  };
  return { report };
}
