import fc from "fast-check";
import type { ImageSwapPolicySpec } from "../../webhook/swap/index.js";

/**
 * Random ImageSwapPolicies whose every rule is valid or invalid by construction, with the answer
 * each valid rule must give: the oracle of the policy suites, written from the design's rule
 * semantics rather than from the engine. Hosts carry the policy's and the rule's index, so that
 * no two rules (in one policy or across policies) ever match the same image.
 */

/** One rule as generated: where it sits in the spec, and for a valid one, a probe of it. */
export interface GeneratedRule {
  /** `registries[2]`, `patterns[0]`, `noSwap[1]`, `default`, ... */
  field: string;
  valid: boolean;
  /** An image this rule alone decides, and the image it must become (or its prefix). */
  probe?: { image: string; output?: string; prefix?: string };
}

export interface GeneratedPolicy {
  name: string;
  spec: ImageSwapPolicySpec;
  rules: GeneratedRule[];
  /** mode, priority and selector are usable: the policy can be served at all. */
  usable: boolean;
  /** Usable and every rule valid: the policy is Ready. */
  ready: boolean;
  /** Has a rule that swaps (registries, exact, patterns or default), which the CRD requires. */
  swaps: boolean;
}

// Never valid where an image, a registry source or a target is expected. (A target's trailing
// "/" is forgiven: a target is a prefix.)
const BAD_REFERENCES = [
  "bad source",
  " ",
  "UPPER/Path",
  "a@@b",
  "ü.example/x",
  "-lead.example/x",
  "http://x.example/y",
  "a//b",
  "x.example/t:a:b",
];
const BAD_PREFIXES = ["bad source", " ", "a*b", "**"];
const BAD_REGEXES = ["(", "[a-", "a{2,1}", "(?<x", "\\"];
const badReference = fc.constantFrom(...BAD_REFERENCES);
const MIRROR = "mirror.example";

interface RuleShape {
  valid: boolean;
  bad: string;
  variant: number;
}

function ruleShape(validPercent: number): fc.Arbitrary<RuleShape> {
  return fc.record({
    valid: fc.noBias(fc.nat(99)).map(n => n < validPercent),
    bad: badReference,
    variant: fc.nat(3),
  });
}

interface PolicyShape {
  registries: RuleShape[];
  exact: RuleShape[];
  patterns: RuleShape[];
  noSwap: RuleShape[];
  defaultRule: RuleShape | null;
  mode: "Enforce" | "Audit" | "Bogus";
  priority: number | string;
  selector: "none" | "labels" | "bad";
}

const policyShape = (rule: fc.Arbitrary<RuleShape>): fc.Arbitrary<PolicyShape> =>
  fc.record({
    registries: fc.array(rule, { maxLength: 5 }),
    exact: fc.array(rule, { maxLength: 4 }),
    patterns: fc.array(rule, { maxLength: 3 }),
    noSwap: fc.array(rule, { maxLength: 2 }),
    defaultRule: fc.option(rule),
    mode: fc.oneof(
      { weight: 6, arbitrary: fc.constant("Enforce" as const) },
      { weight: 2, arbitrary: fc.constant("Audit" as const) },
      { weight: 1, arbitrary: fc.constant("Bogus" as const) },
    ),
    priority: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: -100, max: 100 }) },
      { weight: 1, arbitrary: fc.constantFrom(1.5, "high") },
    ),
    selector: fc.constantFrom("none", "none", "none", "labels", "labels", "bad"),
  });

function registryRule(s: RuleShape, host: string, i: number) {
  const field = `registries[${i}]`;
  if (!s.valid) {
    // Bad source, bad target, or target and skip together.
    const rule = [
      { source: s.bad, target: `${MIRROR}/r` },
      { source: host, target: s.bad },
      { source: host, target: `${MIRROR}/r`, skip: true },
      { source: host },
    ][s.variant];
    return { rule, gen: { field, valid: false } };
  }
  const source = `${host}/team`;
  const target = `${MIRROR}/${host.split(".")[0]}`;
  const probe = { image: `${source}/app:1`, output: `${target}/app:1` };
  return { rule: { source, target }, gen: { field, valid: true, probe } };
}

function exactRule(s: RuleShape, host: string, i: number) {
  const field = `exact[${i}]`;
  const source = `${host}/app:${i}`;
  const target = `${MIRROR}/pinned/${host.split(".")[0]}:1`;
  if (!s.valid) {
    const rule = s.variant % 2 === 0 ? { source: s.bad, target } : { source, target: s.bad };
    return { rule, gen: { field, valid: false } };
  }
  return {
    rule: { source, target },
    gen: { field, valid: true, probe: { image: source, output: target } },
  };
}

function patternRule(s: RuleShape, host: string, i: number) {
  const field = `patterns[${i}]`;
  const label = host.split(".")[0];
  const escaped = host.replace(/\./g, "\\.");
  if (!s.valid) {
    const rule = [
      { regex: BAD_REGEXES[s.variant % BAD_REGEXES.length], target: `${MIRROR}/x` },
      { glob: `${host}/*`, regex: `^${escaped}/(.+)$`, target: `${MIRROR}/x` },
      { target: `${MIRROR}/x` },
      { glob: `${host}/*`, target: s.bad },
    ][s.variant];
    return { rule, gen: { field, valid: false } };
  }
  if (s.variant % 2 === 0) {
    const rule = { regex: `^${escaped}/(.+)$`, target: `${MIRROR}/${label}/$1` };
    const probe = { image: `${host}/a/b:1`, output: `${MIRROR}/${label}/a/b:1` };
    return { rule, gen: { field, valid: true, probe } };
  }
  const probe = { image: `${host}/a/b:1`, prefix: `${MIRROR}/${label}/` };
  return {
    rule: { glob: `${host}/*`, target: `${MIRROR}/${label}` },
    gen: { field, valid: true, probe },
  };
}

function noSwapRule(s: RuleShape, host: string, i: number) {
  const field = `noSwap[${i}]`;
  // A noSwap entry is a plain prefix of the image text (as the predecessor's was): only empty
  // text, spaces and an inner "*" make it invalid.
  if (!s.valid) return { rule: BAD_PREFIXES[s.variant]!, gen: { field, valid: false } };
  const image = `${host}/app:1`;
  return { rule: host, gen: { field, valid: true, probe: { image, output: image } } };
}

const SELECTORS = {
  none: undefined,
  labels: { matchLabels: { team: "shop" } },
  bad: { matchExpressions: [{ key: "team", operator: "Near", values: ["x"] }] },
};

/** Builds policy `k` from its shape; `k` makes every host unique across the run. */
function buildPolicy(shape: PolicyShape, k: number): GeneratedPolicy {
  const rules: GeneratedRule[] = [];
  const list = <T>(
    shapes: RuleShape[],
    kind: string,
    make: (s: RuleShape, h: string, i: number) => { rule: T; gen: GeneratedRule },
  ) =>
    shapes.map((s, i) => {
      const { rule, gen } = make(s, `${kind}${i}-p${k}.src.example`, i);
      rules.push(gen);
      return rule;
    });
  const spec: ImageSwapPolicySpec = {
    mode: shape.mode as "Enforce",
    priority: shape.priority as number,
    registries: list(shape.registries, "reg", registryRule) as ImageSwapPolicySpec["registries"],
    exact: list(shape.exact, "exact", exactRule),
    patterns: list(shape.patterns, "pat", patternRule) as ImageSwapPolicySpec["patterns"],
    noSwap: list(shape.noSwap, "keep", noSwapRule),
  };
  const selector = SELECTORS[shape.selector];
  if (selector) spec.namespaceSelector = selector as ImageSwapPolicySpec["namespaceSelector"];
  if (shape.defaultRule) {
    const valid = shape.defaultRule.valid;
    spec.default = valid ? `${MIRROR}/proxy-p${k}` : shape.defaultRule.bad;
    const probe = { image: `unmatched-p${k}.example/app:1`, output: `${MIRROR}/proxy-p${k}/app:1` };
    rules.push({ field: "default", valid, probe: valid ? probe : undefined });
  }
  const usable =
    shape.mode !== "Bogus" && Number.isInteger(shape.priority) && shape.selector !== "bad";
  const ready = usable && rules.every(r => r.valid);
  const swaps = rules.some(r => !r.field.startsWith("noSwap"));
  return { name: `random-p${k}`, spec, rules, usable, ready, swaps };
}

/**
 * `count` random policies, named `random-p<k>`, hosts unique across all of them; each rule is
 * valid with `validPercent` chance (the default makes most policies mix both kinds).
 */
export function randomPolicies(count: number, validPercent = 90): fc.Arbitrary<GeneratedPolicy[]> {
  return fc
    .array(policyShape(ruleShape(validPercent)), { minLength: count, maxLength: count })
    .map(shapes => shapes.map((shape, k) => buildPolicy(shape, k)));
}

/** Whether a diagnostic at `field` belongs to the rule at `ruleField` (`registries[1]`...). */
export function isFieldOf(field: string, ruleField: string): boolean {
  return (
    field === ruleField || field.startsWith(`${ruleField}.`) || field.startsWith(`${ruleField}[`)
  );
}
