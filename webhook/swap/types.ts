/**
 * The swap engine's public shapes: the ImageSwapPolicy `spec` (reused verbatim by the CRD) and
 * what compiling and swapping return. Pure data; nothing here does I/O or reads a clock.
 */

export type PolicyMode = "Enforce" | "Audit";

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** A Kubernetes label selector, as in `metav1.LabelSelector`. Empty matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** `source` is `host[:port]` optionally followed by a path prefix, matched on whole components. */
export interface RegistryRule {
  source: string;
  target?: string;
  /** Leave images under `source` alone; excludes `target`. */
  skip?: boolean;
}

/** Whole-image replacement. */
export interface ExactRule {
  source: string;
  target: string;
}

/** Exactly one of `glob` and `regex`. A regex target may use capture groups (`$1`). */
export interface PatternRule {
  glob?: string;
  regex?: string;
  target: string;
}

export interface ImageSwapPolicySpec {
  /** @default "Enforce" */
  mode?: PolicyMode;
  /** Higher wins a key that two policies both map. @default 0 */
  priority?: number;
  /** Among enabled namespaces; empty or absent selects all of them. */
  namespaceSelector?: LabelSelector;
  /** Target for images no rule matches; absent or "" means no default swap. */
  default?: string;
  registries?: RegistryRule[];
  exact?: ExactRule[];
  patterns?: PatternRule[];
  noSwap?: string[];
  /** The predecessor's map-file text, compiled into the same table. */
  mapFile?: string;
}

export interface PolicyInput {
  name: string;
  /** metadata.generation, echoed into the report for status.observedGeneration. */
  generation?: number;
  spec: ImageSwapPolicySpec;
}

export type RuleKind = "exact" | "pattern" | "registry" | "skip" | "noSwap" | "default";

/** Which rule decided, for `--explain`, warnings, logs and the `rule_kind` metric label. */
export interface RuleRef {
  policy: string;
  kind: RuleKind;
  /** Index in its spec list (`registries[3]`), or the map-file line number when `line` is set. */
  index: number;
  /** 1-based map-file line when the rule came from `spec.mapFile`. */
  line?: number;
  /** Human-readable rule, e.g. `docker.io -> harbor.example.com/dockerhub`. */
  text: string;
}

export interface SwapDecision {
  input: string;
  /** The image to use: equals `input` when nothing changes (or when `error` is set). */
  output: string;
  changed: boolean;
  /** Mode of the deciding policy: an Audit decision is reported, never applied. */
  mode: PolicyMode;
  rule?: RuleRef;
  /**
   * Set when `input` is not a valid reference, or when the deciding rule would produce an invalid
   * one; the image is then left untouched.
   */
  error?: string;
  /**
   * True when `input` already lies under a rule's target (it was swapped before), so it is left
   * alone to keep swapping idempotent; `rule` names the rule whose target covers it.
   */
  alreadySwapped?: boolean;
}

export interface RuleDiagnostic {
  policy: string;
  /** Where: `registries[2]`, `patterns[0].regex`, `mapFile:14`. */
  field: string;
  message: string;
  /** Errors reject the rule; warnings are what the predecessor would silently skip. */
  severity: "error" | "warning";
}

/** Two policies mapped the same key; `winner` is the one served. */
export interface Conflict {
  key: string;
  winner: string;
  loser: string;
}

export interface PolicyReport {
  name: string;
  generation?: number;
  total: number;
  accepted: number;
  rejected: number;
  diagnostics: RuleDiagnostic[];
  /** True when every rule compiled (warnings allowed). */
  ready: boolean;
  /** One line for the Ready condition, e.g. "7 rules" or "2 of 9 rules rejected". */
  message: string;
}

/** One compiled policy, opaque to callers; build tables from these. */
export interface CompiledPolicy {
  readonly name: string;
  readonly priority: number;
  readonly mode: PolicyMode;
  readonly ruleCount: number;
}

/**
 * The immutable, compiled form of every policy, handed to the webhook by reference.
 * Cost per image does not grow with the number of exact and registry rules.
 */
export interface SwapTable {
  readonly generation: number;
  readonly ruleCount: number;
  /** Policy names in precedence order (priority desc, then name). */
  readonly policies: readonly string[];
  readonly conflicts: readonly Conflict[];
  /**
   * Decides one image. `namespaceLabels` selects the policies whose namespaceSelector matches;
   * `undefined` (standalone mode) applies every policy regardless of its selector.
   */
  swap(image: string, namespaceLabels?: Readonly<Record<string, string>>): SwapDecision;
}
