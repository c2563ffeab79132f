import { PolicyProgram, comparePrograms } from "./program.js";
import { matchesSelector } from "./selector.js";
import type { CompiledPolicy, Conflict, SwapDecision, SwapTable } from "./types.js";
import { SwapView } from "./view.js";

/**
 * The immutable swap table the webhook reads by reference. Policies are merged per distinct set
 * that a namespace selects; those merged views are built on first use and kept, bounded.
 */

/** Distinct policy selections kept; past this the oldest view is dropped and rebuilt on demand. */
export const MAX_CACHED_VIEWS = 128;

const NO_POLICIES = new SwapView([]);

class CompiledTable implements SwapTable {
  readonly ruleCount: number;
  readonly policies: readonly string[];
  readonly conflicts: readonly Conflict[];
  private readonly programs: readonly PolicyProgram[];
  private readonly all: SwapView;
  private readonly views = new Map<string, SwapView>();

  constructor(
    readonly generation: number,
    programs: PolicyProgram[],
  ) {
    this.programs = Object.freeze(programs.slice().sort(comparePrograms));
    this.policies = Object.freeze(this.programs.map(p => p.name));
    this.ruleCount = this.programs.reduce((sum, p) => sum + p.ruleCount, 0);
    this.conflicts = Object.freeze(findConflicts(this.programs));
    this.all = programs.length === 0 ? NO_POLICIES : new SwapView(this.programs);
  }

  swap(image: string, namespaceLabels?: Readonly<Record<string, string>>): SwapDecision {
    return this.viewFor(namespaceLabels).decide(image);
  }

  private viewFor(labels: Readonly<Record<string, string>> | undefined): SwapView {
    if (labels === undefined) return this.all;
    let key = "";
    for (const p of this.programs) key += matchesSelector(p.selector, labels) ? "1" : "0";
    const cached = this.views.get(key);
    if (cached) return cached;
    const view = new SwapView(this.programs.filter((_, i) => key[i] === "1"));
    if (this.views.size >= MAX_CACHED_VIEWS) {
      this.views.delete(this.views.keys().next().value as string);
    }
    this.views.set(key, view);
    return view;
  }
}

/**
 * Keys that two policies map differently, across all policies: whether their selectors overlap
 * is only known per namespace, so a conflict here may never bite, but it is always reported.
 */
function findConflicts(programs: readonly PolicyProgram[]): Conflict[] {
  const owners = new Map<string, { policy: string; value: string }>();
  const conflicts: Conflict[] = [];
  const claim = (key: string, policy: string, value: string): void => {
    const owner = owners.get(key);
    if (!owner) owners.set(key, { policy, value });
    else if (owner.policy !== policy && owner.value !== value) {
      conflicts.push({ key, winner: owner.policy, loser: policy });
    }
  };
  for (const { name, rules } of programs) {
    for (const e of rules.exact) claim(`exact ${e.key}`, name, e.output);
    for (const e of rules.registries)
      claim(`registry ${e.source.key}`, name, e.target?.text ?? "skip");
    if (rules.default) claim("default", name, rules.default.target.text);
  }
  return conflicts;
}

/** Builds a table from compiled policies; objects not made by `compilePolicy` are ignored. */
export function buildTable(policies: readonly CompiledPolicy[], generation: number): SwapTable {
  const programs = policies.filter((p): p is PolicyProgram => p instanceof PolicyProgram);
  return Object.freeze(new CompiledTable(generation, programs));
}

/** A table with no policies: every image is left as it is. */
export function emptyTable(generation: number): SwapTable {
  return buildTable([], generation);
}
