import type { NamePrefix, Target } from "./target.js";
import type { CompiledPolicy, LabelSelector, PolicyMode, RuleRef } from "./types.js";

/**
 * The compiled form of one policy's rules, before policies merge into a table. Every entry
 * carries the RuleRef that decisions report and the mode of the policy it came from.
 */

export interface RuleOrigin {
  readonly ref: RuleRef;
  readonly mode: PolicyMode;
  /** Where the rule's outputs land; absent for rules that never change an image. */
  readonly cover?: Cover;
}

/** `{source, target}` or `{source, skip: true}` on a registry or path prefix. */
export interface RegistryEntry extends RuleOrigin {
  readonly source: NamePrefix;
  /** Undefined for a skip rule. */
  readonly target?: Target;
}

/** Whole-image replacement, keyed by the normalized source reference. */
export interface ExactEntry extends RuleOrigin {
  readonly key: string;
  /** The target as written. */
  readonly output: string;
  readonly cover: Cover;
}

/** Where images produced by a rule land, so that a second pass leaves them alone. */
export type Cover =
  | { readonly kind: "exact"; readonly key: string }
  | { readonly kind: "prefix"; readonly prefix: NamePrefix }
  | { readonly kind: "stem"; readonly parent: NamePrefix; readonly stem: string };

export type PatternEntry = RuleOrigin &
  (
    | {
        readonly kind: "glob";
        readonly re: RegExp;
        /** The text before the first wildcard: every image the glob matches starts with it. */
        readonly prefix: string;
        /** Undefined: matching images are left alone (an empty target). */
        readonly target?: Extract<Target, { kind: "prefix" }>;
      }
    | {
        readonly kind: "regex";
        readonly re: RegExp;
        readonly template: string;
        readonly cover: Cover;
      }
  );

export interface NoSwapEntry extends RuleOrigin {
  readonly text: string;
}

export interface DefaultEntry extends RuleOrigin {
  readonly target: Target;
  readonly cover: Cover;
}

export interface PolicyRules {
  readonly registries: readonly RegistryEntry[];
  readonly exact: readonly ExactEntry[];
  readonly patterns: readonly PatternEntry[];
  readonly noSwap: readonly NoSwapEntry[];
  readonly default?: DefaultEntry;
}

/** A compiled policy: what `compilePolicy` returns and `buildTable` consumes. */
export class PolicyProgram implements CompiledPolicy {
  readonly ruleCount: number;

  constructor(
    readonly name: string,
    readonly priority: number,
    readonly mode: PolicyMode,
    readonly selector: LabelSelector | undefined,
    readonly rules: PolicyRules,
  ) {
    const { registries, exact, patterns, noSwap } = rules;
    const count = registries.length + exact.length + patterns.length + noSwap.length;
    this.ruleCount = count + (rules.default ? 1 : 0);
    Object.freeze(this);
  }
}

/** Where a target's images land, for the idempotence check. */
export function coverOf(target: Target): Cover {
  return target.kind === "prefix"
    ? { kind: "prefix", prefix: target.prefix }
    : { kind: "stem", parent: target.parent, stem: target.stem };
}

/** Precedence between policies: higher priority first, then name. */
export function comparePrograms(a: CompiledPolicy, b: CompiledPolicy): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
