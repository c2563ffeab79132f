import type { LabelSelector, LabelSelectorRequirement } from "./types.js";

/**
 * Kubernetes label selectors (`metav1.LabelSelector`): every `matchLabels` pair and every
 * `matchExpressions` requirement must hold. An absent or empty selector matches everything.
 */

/** True when `labels` satisfy `selector`; assumes a selector that `checkSelector` accepted. */
export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every(req => meetsRequirement(req, labels));
}

function meetsRequirement(
  req: LabelSelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case "In":
      return has && (req.values ?? []).includes(value as string);
    // As in Kubernetes, NotIn also matches when the label is absent.
    case "NotIn":
      return !has || !(req.values ?? []).includes(value as string);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
}

/** Problems in a selector that came from untyped input; an empty list means usable. */
export function checkSelector(selector: unknown): string[] {
  if (selector === undefined || selector === null) return [];
  if (typeof selector !== "object" || Array.isArray(selector)) return ["must be an object"];
  const { matchLabels, matchExpressions } = selector as Record<string, unknown>;
  const problems: string[] = [];
  if (matchLabels !== undefined && !isStringRecord(matchLabels)) {
    problems.push("matchLabels must map strings to strings");
  }
  if (matchExpressions !== undefined && !Array.isArray(matchExpressions)) {
    problems.push("matchExpressions must be a list");
  } else {
    (matchExpressions ?? []).forEach((req: unknown, i: number) => {
      const problem = checkRequirement(req);
      if (problem) problems.push(`matchExpressions[${i}] ${problem}`);
    });
  }
  return problems;
}

function checkRequirement(req: unknown): string | undefined {
  if (typeof req !== "object" || req === null) return "must be an object";
  const { key, operator, values } = req as Record<string, unknown>;
  if (typeof key !== "string" || key === "") return "needs a key";
  if (
    values !== undefined &&
    !(Array.isArray(values) && values.every(v => typeof v === "string"))
  ) {
    return "values must be a list of strings";
  }
  const count = Array.isArray(values) ? values.length : 0;
  if (operator === "In" || operator === "NotIn") {
    return count > 0 ? undefined : `operator ${operator} needs at least one value`;
  }
  if (operator === "Exists" || operator === "DoesNotExist") {
    return count === 0 ? undefined : `operator ${operator} takes no values`;
  }
  return `operator "${String(operator)}" is not In, NotIn, Exists or DoesNotExist`;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every(v => typeof v === "string")
  );
}
