import type { V1Namespace } from "@kubernetes/client-node";
import type { NamespaceView, StateHolder } from "../../webhook/server/serving-state.js";
import { buildTable, compilePolicy } from "../../webhook/swap/index.js";
import type {
  CompiledPolicy,
  Conflict,
  PolicyReport,
  SwapTable,
} from "../../webhook/swap/index.js";
import type { Logger } from "../../webhook/telemetry/logger.js";
import type { ReadCache } from "../k8s/informer.js";
import type { ImageSwapPolicy } from "../k8s/resources.js";

/** What the status writer needs to know about one policy after a compile. */
export interface PolicyOutcome {
  /** The report for the newest generation seen, ready or not. */
  report: PolicyReport;
  /** Whether the table serves this policy at all (its newest or its last good generation). */
  served: boolean;
  /** The generation served: the newest when it compiled, else the last good one. */
  servedGeneration?: number;
  /** Keys this policy maps that a higher-precedence policy serves instead. */
  lostKeys: Conflict[];
}

export interface CompileSummary {
  /** False when nothing served changed, so the previous table stays published. */
  published: boolean;
  table: SwapTable;
  policies: number;
}

export interface PolicyCompilerOptions {
  policies: ReadCache<ImageSwapPolicy>;
  namespaces: ReadCache<V1Namespace>;
  state: StateHolder;
  log: Logger;
}

interface CompiledEntry {
  generation: number | undefined;
  policy: CompiledPolicy | undefined;
  report: PolicyReport;
}

/**
 * Turns the informer caches into the webhook's swap table, on every replica.
 *
 * A policy is served only as a whole: when its newest generation has a rejected rule, the table
 * keeps serving its LAST GOOD generation (or nothing, if it never compiled cleanly), while the
 * report says why, for status. Compiling is cached per generation, and the table is rebuilt and
 * published only when the set of served (policy, generation) pairs changes.
 *
 * NOTE: the namespace view answers from the live Namespace cache, not from a snapshot, so a
 * label removed from a namespace stops swapping there as soon as the watch delivers it, with no
 * recompile and no publish.
 */
export class PolicyCompiler {
  private readonly compiled = new Map<string, CompiledEntry>();
  private readonly lastGood = new Map<string, { generation?: number; policy: CompiledPolicy }>();
  private outcomes = new Map<string, PolicyOutcome>();
  private fingerprint: string | undefined;
  private generation = 0;
  private table: SwapTable | undefined;
  readonly namespaceView: NamespaceView;

  constructor(private readonly options: PolicyCompilerOptions) {
    const namespaces = options.namespaces;
    this.namespaceView = {
      labels: name => {
        const ns = namespaces.get(name);
        return ns ? (ns.metadata?.labels ?? {}) : undefined;
      },
    };
  }

  /** The last compile's result for a policy, or undefined if it is not (or no longer) known. */
  outcome(name: string): PolicyOutcome | undefined {
    return this.outcomes.get(name);
  }

  /** Compiles every cached policy and publishes a new table if what is served changed. */
  compile(): CompileSummary {
    const policies = [...this.options.policies.list()].sort(byName);
    const served: CompiledPolicy[] = [];
    const servedGenerations = new Map<string, number | undefined>();
    for (const policy of policies) {
      const name = policy.metadata?.name ?? "";
      const entry = this.compileOne(policy);
      const pick = this.pickServed(name, entry);
      if (!pick) continue;
      served.push(pick.policy);
      servedGenerations.set(name, pick.generation);
    }
    this.forgetDeleted(new Set(policies.map(p => p.metadata?.name ?? "")));

    const published = this.publishIfChanged(served, servedGenerations);
    this.outcomes = this.collectOutcomes(servedGenerations);
    return { published, table: this.table!, policies: policies.length };
  }

  private compileOne(policy: ImageSwapPolicy): CompiledEntry {
    const name = policy.metadata?.name ?? "";
    const generation = policy.metadata?.generation;
    const cached = this.compiled.get(name);
    if (cached && generation !== undefined && cached.generation === generation) return cached;

    const result = compilePolicy({ name, generation, spec: policy.spec ?? {} });
    const entry: CompiledEntry = { generation, policy: result.policy, report: result.report };
    this.compiled.set(name, entry);
    if (entry.policy && entry.report.ready) {
      this.lastGood.set(name, { generation, policy: entry.policy });
    } else {
      this.logRejected(entry, name);
    }
    return entry;
  }

  private logRejected(entry: CompiledEntry, name: string): void {
    this.options.log.warn("policy rejected", {
      name,
      generation: entry.generation,
      rejected: entry.report.rejected,
      servedGeneration: this.lastGood.get(name)?.generation ?? null,
    });
  }

  private pickServed(
    name: string,
    entry: CompiledEntry,
  ): { policy: CompiledPolicy; generation?: number } | undefined {
    if (entry.policy && entry.report.ready) {
      return { policy: entry.policy, generation: entry.generation };
    }
    return this.lastGood.get(name);
  }

  private forgetDeleted(present: Set<string>): void {
    for (const name of this.compiled.keys()) {
      if (present.has(name)) continue;
      this.compiled.delete(name);
      this.lastGood.delete(name);
    }
  }

  private publishIfChanged(
    served: CompiledPolicy[],
    generations: Map<string, number | undefined>,
  ): boolean {
    const fingerprint = [...generations].map(([name, gen]) => `${name}@${gen ?? "?"}`).join(",");
    if (this.table && fingerprint === this.fingerprint) return false;

    this.generation += 1;
    this.table = buildTable(served, this.generation);
    this.fingerprint = fingerprint;
    this.options.state.publish({ table: this.table, namespaces: this.namespaceView });
    this.options.log.info("swap table published", {
      generation: this.generation,
      policies: served.length,
      rules: this.table.ruleCount,
      conflicts: this.table.conflicts.length,
    });
    return true;
  }

  private collectOutcomes(
    servedGenerations: Map<string, number | undefined>,
  ): Map<string, PolicyOutcome> {
    const lost = new Map<string, Conflict[]>();
    for (const conflict of this.table?.conflicts ?? []) {
      const list = lost.get(conflict.loser) ?? [];
      list.push(conflict);
      lost.set(conflict.loser, list);
    }

    const outcomes = new Map<string, PolicyOutcome>();
    for (const [name, entry] of this.compiled) {
      outcomes.set(name, {
        report: entry.report,
        served: servedGenerations.has(name),
        servedGeneration: servedGenerations.get(name),
        lostKeys: lost.get(name) ?? [],
      });
    }
    return outcomes;
  }
}

function byName(a: ImageSwapPolicy, b: ImageSwapPolicy): number {
  const x = a.metadata?.name ?? "";
  const y = b.metadata?.name ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}
