import type { RuleRef, SwapDecision } from "./types.js";

/** Where a rule comes from: `harbor-mirror registries[1]` or `harbor-mirror mapFile:7`. */
export function describeRule(rule: RuleRef): string {
  const where = rule.line !== undefined ? `mapFile:${rule.line}` : `${rule.kind}[${rule.index}]`;
  return `${rule.policy} ${where}: ${rule.text}`;
}

/** `IMAGE -> RESULT (rule)`, the `--explain` line and the text of admission warnings. */
export function describeDecision(decision: SwapDecision): string {
  const head = `${decision.input} -> ${decision.output}`;
  if (decision.error !== undefined) return `${head} (error: ${decision.error})`;
  const audit = decision.mode === "Audit" && decision.changed ? ", audit only" : "";
  if (decision.rule === undefined) return `${head} (no rule${audit})`;
  const covered = decision.alreadySwapped ? "already under the target of " : "";
  return `${head} (${covered}${describeRule(decision.rule)}${audit})`;
}
