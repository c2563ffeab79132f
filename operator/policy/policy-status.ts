import type { ImageSwapPolicyStatus, PolicyCondition } from "../k8s/resources.js";
import type { PolicyOutcome } from "./policy-compiler.js";

/**
 * The status an ImageSwapPolicy should carry after a compile: pure, given the clock. The status
 * writer compares it with the object's current status and writes only a difference.
 */

export const READY = "Ready";
export const CONFLICTED = "Conflicted";

// Status is read by people with kubectl; past these counts the lines stop being useful and the
// object grows toward etcd's size limit.
const MAX_REJECTED_LINES = 50;
const MAX_CONFLICT_KEYS = 5;

type Condition = Omit<PolicyCondition, "lastTransitionTime">;

function readyCondition(outcome: PolicyOutcome): Condition {
  const { report } = outcome;
  const generation = report.generation;
  if (report.ready && outcome.served) {
    const message = report.message;
    return {
      type: READY,
      status: "True",
      reason: "Compiled",
      message,
      observedGeneration: generation,
    };
  }
  const serving = outcome.served
    ? `; serving generation ${outcome.servedGeneration ?? "unknown"} until fixed`
    : "; not served";
  return {
    type: READY,
    status: "False",
    reason: report.rejected > 0 ? "RulesRejected" : "NotCompiled",
    message: `${report.message}${serving}`,
    observedGeneration: generation,
  };
}

function conflictedCondition(outcome: PolicyOutcome): Condition {
  const lost = outcome.lostKeys;
  const generation = outcome.report.generation;
  if (lost.length === 0) {
    return {
      type: CONFLICTED,
      status: "False",
      reason: "NoConflict",
      message: "no key is served by another policy",
      observedGeneration: generation,
    };
  }
  const shown = lost.slice(0, MAX_CONFLICT_KEYS).map(c => `${c.key} (by ${c.winner})`);
  const more =
    lost.length > MAX_CONFLICT_KEYS ? ` and ${lost.length - MAX_CONFLICT_KEYS} more` : "";
  return {
    type: CONFLICTED,
    status: "True",
    reason: "KeysServedByOtherPolicy",
    message: `${lost.length} keys served by another policy: ${shown.join(", ")}${more}`,
    observedGeneration: generation,
  };
}

function rejectedLines(outcome: PolicyOutcome): string[] | undefined {
  const errors = outcome.report.diagnostics.filter(d => d.severity === "error");
  if (errors.length === 0) return undefined;
  const lines = errors.slice(0, MAX_REJECTED_LINES).map(d => `${d.field}: ${d.message}`);
  if (errors.length > MAX_REJECTED_LINES) {
    lines.push(`and ${errors.length - MAX_REJECTED_LINES} more`);
  }
  return lines;
}

/** RFC 3339 at second precision, as metav1.Time serialises. */
export function formatTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Keeps a condition's lastTransitionTime while its status stays the same. */
function withTransitionTime(
  condition: Condition,
  previous: readonly PolicyCondition[] | undefined,
  now: Date,
): PolicyCondition {
  const before = previous?.find(c => c.type === condition.type);
  const keep = before !== undefined && before.status === condition.status;
  return { ...condition, lastTransitionTime: keep ? before.lastTransitionTime : formatTime(now) };
}

export function desiredStatus(
  outcome: PolicyOutcome,
  current: ImageSwapPolicyStatus | undefined,
  now: Date,
): ImageSwapPolicyStatus {
  const { report } = outcome;
  const status: ImageSwapPolicyStatus = {
    observedGeneration: report.generation,
    rules: { total: report.total, accepted: report.accepted, rejected: report.rejected },
    conditions: [readyCondition(outcome), conflictedCondition(outcome)].map(c =>
      withTransitionTime(c, current?.conditions, now),
    ),
  };
  const rejected = rejectedLines(outcome);
  if (rejected) status.rejectedRules = rejected;
  return status;
}

/** Normal form for comparison: times as ISO strings, absent fields dropped. */
function normalise(status: ImageSwapPolicyStatus | undefined): string {
  if (!status) return "";
  const conditions = (status.conditions ?? []).map(c => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    observedGeneration: c.observedGeneration,
    lastTransitionTime: c.lastTransitionTime,
  }));
  conditions.sort((a, b) => (a.type < b.type ? -1 : 1));
  return JSON.stringify({
    observedGeneration: status.observedGeneration,
    rules: status.rules && [status.rules.total, status.rules.accepted, status.rules.rejected],
    rejectedRules: status.rejectedRules ?? [],
    conditions,
  });
}

/** True when writing `desired` would change nothing that a reader sees. */
export function isStatusCurrent(
  current: ImageSwapPolicyStatus | undefined,
  desired: ImageSwapPolicyStatus,
): boolean {
  return normalise(current) === normalise(desired);
}
