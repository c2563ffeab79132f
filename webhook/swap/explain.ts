import type { RuleKind, RuleRef, SwapDecision } from "./types.js";

/** The spec field each rule kind is written in. */
const FIELD_OF: Record<RuleKind, string> = {
  exact: "exact",
  pattern: "patterns",
  registry: "registries",
  skip: "registries",
  noSwap: "noSwap",
  default: "default",
};

/** The rule's spec field: `registries[1]`, `default`, or `mapFile:7` for a map-file line. */
export function fieldOf(rule: RuleRef): string {
  if (rule.line !== undefined) return `mapFile:${rule.line}`;
  return rule.kind === "default" ? "default" : `${FIELD_OF[rule.kind]}[${rule.index}]`;
}

/** Where a rule comes from and what it says: `harbor-mirror registries[1]: docker.io -> ...`. */
export function describeRule(rule: RuleRef): string {
  const where = fieldOf(rule);
  return `${rule.policy} ${where}: ${rule.text}`;
}

/** `IMAGE -> RESULT (rule)`, the `--explain` line and the text of admission warnings. */
export function describeDecision(decision: SwapDecision): string {
  const head = `${decision.input} -> ${decision.output}`;
  if (decision.error !== undefined) {
    const rule = decision.rule ? `${describeRule(decision.rule)}; ` : "";
    return `${head} (${rule}error: ${decision.error})`;
  }
  const audit = decision.mode === "Audit" && decision.changed ? ", audit only" : "";
  if (decision.rule === undefined) return `${head} (no rule${audit})`;
  const covered = decision.alreadySwapped ? "already under the target of " : "";
  return `${head} (${covered}${describeRule(decision.rule)}${audit})`;
}
