import {
  compileDefault,
  compileExact,
  compileNoSwap,
  compilePattern,
  compileRegistry,
  type RuleSite,
} from "./compile-rules.js";
import { parseMapFile, ruleOf, type MapFileEntryKind } from "./map-file.js";
import { PolicyProgram, type DefaultEntry, type PolicyRules } from "./program.js";
import { checkSelector } from "./selector.js";
import type { Checked } from "./target.js";
import type {
  CompiledPolicy,
  LabelSelector,
  PolicyInput,
  PolicyMode,
  PolicyReport,
  RuleDiagnostic,
} from "./types.js";

export interface CompilePolicyResult {
  /** Absent when the policy cannot be used at all (bad selector, mode or priority). */
  policy?: CompiledPolicy;
  report: PolicyReport;
}

type ListName = "registries" | "exact" | "patterns" | "noSwap";
type Compiler = (raw: unknown, site: RuleSite) => Checked<unknown>;
const LISTS: ReadonlyArray<[ListName, Compiler]> = [
  ["registries", compileRegistry],
  ["exact", compileExact],
  ["patterns", compilePattern],
  ["noSwap", compileNoSwap],
];
const LIST_OF_ENTRY: Record<Exclude<MapFileEntryKind, "default">, ListName> = {
  registry: "registries",
  exact: "exact",
  replace: "patterns",
  noSwap: "noSwap",
};

/** Collects entries and diagnostics for one policy; keys keep the first rule that claims them. */
class Collector {
  readonly diagnostics: RuleDiagnostic[] = [];
  readonly lists: Record<ListName, unknown[]> = {
    registries: [],
    exact: [],
    patterns: [],
    noSwap: [],
  };
  fallback?: DefaultEntry;
  total = 0;
  rejected = 0;
  private readonly claimed = new Map<string, string>();

  constructor(
    readonly policy: string,
    readonly mode: PolicyMode,
  ) {}

  note(field: string, message: string, severity: RuleDiagnostic["severity"]): void {
    this.diagnostics.push({ policy: this.policy, field, message, severity });
  }

  add(list: ListName, field: string, outcome: Checked<unknown>): void {
    this.total++;
    if (outcome.problem !== undefined) {
      this.rejected++;
      return this.note(field, outcome.problem, "error");
    }
    const key = claimKey(list, outcome.value);
    const owner = key === undefined ? undefined : this.claimed.get(key);
    if (owner !== undefined) return this.note(field, `same source as ${owner}; ignored`, "warning");
    if (key !== undefined) this.claimed.set(key, field);
    this.lists[list].push(outcome.value);
  }

  addDefault(field: string, outcome: Checked<DefaultEntry | undefined>): void {
    if (outcome.problem === undefined && outcome.value === undefined) return;
    this.total++;
    if (outcome.problem !== undefined) {
      this.rejected++;
      return this.note(field, outcome.problem, "error");
    }
    if (this.fallback) return this.note(field, "a default is already set; ignored", "warning");
    this.fallback = outcome.value;
  }
}

function claimKey(list: ListName, entry: unknown): string | undefined {
  if (list === "registries") return `registry ${(entry as { source: { key: string } }).source.key}`;
  if (list === "exact") return `exact ${(entry as { key: string }).key}`;
  return undefined;
}

function checkPolicyFields(spec: Record<string, unknown>): RuleDiagnostic[] {
  const problems: Array<[string, string]> = [];
  if (spec.mode !== undefined && spec.mode !== "Enforce" && spec.mode !== "Audit") {
    problems.push(["mode", `must be Enforce or Audit, got "${String(spec.mode)}"`]);
  }
  if (spec.priority !== undefined && !Number.isInteger(spec.priority)) {
    problems.push(["priority", `must be an integer, got ${JSON.stringify(spec.priority)}`]);
  }
  for (const problem of checkSelector(spec.namespaceSelector)) {
    problems.push(["namespaceSelector", problem]);
  }
  for (const field of ["default", "mapFile"]) {
    if (spec[field] !== undefined && typeof spec[field] !== "string") {
      problems.push([field, "must be a string"]);
    }
  }
  for (const [list] of LISTS) {
    if (spec[list] !== undefined && !Array.isArray(spec[list]))
      problems.push([list, "must be a list"]);
  }
  return problems.map(([field, message]) => ({ policy: "", field, message, severity: "error" }));
}

function compileMapFile(text: string, into: Collector): void {
  const { entries, diagnostics } = parseMapFile(text);
  for (const d of diagnostics) {
    into.note(d.line > 0 ? `mapFile:${d.line}` : "mapFile", d.message, d.severity);
  }
  for (const entry of entries) {
    const site = { policy: into.policy, mode: into.mode, index: entry.line, line: entry.line };
    const field = `mapFile:${entry.line}`;
    if (entry.kind === "default") {
      into.addDefault(field, compileDefault(ruleOf(entry), site));
      continue;
    }
    const list = LIST_OF_ENTRY[entry.kind];
    const compiler = LISTS.find(([name]) => name === list)?.[1] as Compiler;
    into.add(list, field, compiler(ruleOf(entry), site));
  }
}

function reportOf(input: PolicyInput, c: Collector, fatal: boolean): PolicyReport {
  const errors = c.diagnostics.filter(d => d.severity === "error").length;
  const warnings = c.diagnostics.length - errors;
  const accepted = c.total - c.rejected;
  const ready = errors === 0;
  let message = `${accepted} rules` + (warnings > 0 ? `, ${warnings} warnings` : "");
  if (c.rejected > 0) message = `${c.rejected} of ${c.total} rules rejected`;
  if (fatal)
    message = `policy not usable: ${c.diagnostics.map(d => `${d.field} ${d.message}`).join("; ")}`;
  const report: PolicyReport = {
    name: input.name,
    total: c.total,
    accepted,
    rejected: c.rejected,
    diagnostics: c.diagnostics,
    ready,
    message,
  };
  if (input.generation !== undefined) report.generation = input.generation;
  return report;
}

/**
 * Compiles one policy. Invalid rules are reported (policy name and rule index, or map-file line)
 * and left out; the policy itself is dropped only when its selector, mode or priority is bad.
 */
export function compilePolicy(input: PolicyInput): CompilePolicyResult {
  const raw: unknown = input.spec;
  const spec = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const mode: PolicyMode = spec.mode === "Audit" ? "Audit" : "Enforce";
  const c = new Collector(input.name, mode);
  const fatal = checkPolicyFields(spec);
  if (typeof raw !== "object" || raw === null) {
    fatal.push({ policy: "", field: "spec", message: "must be an object", severity: "error" });
  }
  if (fatal.length > 0) {
    c.diagnostics.push(...fatal.map(d => ({ ...d, policy: input.name })));
    return { report: reportOf(input, c, true) };
  }
  for (const [list, compiler] of LISTS) {
    ((spec[list] ?? []) as unknown[]).forEach((item, index) => {
      c.add(list, `${list}[${index}]`, compiler(item, { policy: input.name, mode, index }));
    });
  }
  c.addDefault("default", compileDefault(spec.default, { policy: input.name, mode, index: 0 }));
  if (typeof spec.mapFile === "string") compileMapFile(spec.mapFile, c);
  const rules = { ...c.lists, default: c.fallback } as unknown as PolicyRules;
  const priority = (spec.priority as number | undefined) ?? 0;
  const selector = (spec.namespaceSelector ?? undefined) as LabelSelector | undefined;
  const policy = new PolicyProgram(input.name, priority, mode, selector, rules);
  return { policy, report: reportOf(input, c, false) };
}
