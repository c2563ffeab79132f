import { globToRegExp, literalPrefix } from "./glob.js";
import { flatten, formatReference, parseReference } from "./reference.js";
import { parsePrefix, parseTarget, type Checked } from "./target.js";
import {
  coverOf,
  type DefaultEntry,
  type ExactEntry,
  type NoSwapEntry,
  type PatternEntry,
  type RegistryEntry,
} from "./program.js";
import { compileTemplate } from "./template.js";
import type { PolicyMode, RuleKind, RuleRef } from "./types.js";

/**
 * Compiles one rule of each kind from untyped input (a CRD object or a map-file line), so that a
 * bad rule becomes a problem string for its diagnostic instead of an exception.
 */

/** Where a rule sits: its policy, list index and, for map files, line. */
export interface RuleSite {
  policy: string;
  mode: PolicyMode;
  index: number;
  line?: number;
}

function origin(site: RuleSite, kind: RuleKind, text: string): { ref: RuleRef; mode: PolicyMode } {
  const ref: RuleRef = { policy: site.policy, kind, index: site.index, text };
  if (site.line !== undefined) ref.line = site.line;
  // Every decision by this rule shares this object: frozen, so no caller can alter another's.
  return { ref: Object.freeze(ref), mode: site.mode };
}

function asRecord(raw: unknown): Record<string, unknown> | undefined {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw)
    ? (raw as Record<string, unknown>)
    : undefined;
}

function stringField(record: Record<string, unknown>, field: string): Checked<string | undefined> {
  const value = record[field];
  if (value === undefined || typeof value === "string") return { value };
  return { problem: `${field} must be a string` };
}

export function compileRegistry(raw: unknown, site: RuleSite): Checked<RegistryEntry> {
  const record = asRecord(raw);
  if (!record) return { problem: "must be an object with source and target or skip" };
  const source = stringField(record, "source");
  const targetText = stringField(record, "target");
  if (source.problem !== undefined || targetText.problem !== undefined) {
    return { problem: (source.problem ?? targetText.problem) as string };
  }
  if (!source.value) return { problem: "source is required" };
  const prefix = parsePrefix(source.value, true);
  if (prefix.problem !== undefined) return { problem: `source ${prefix.problem}` };
  if (record.skip !== undefined && typeof record.skip !== "boolean") {
    return { problem: "skip must be true or false" };
  }
  const skip = record.skip === true;
  if (skip && targetText.value) return { problem: "takes either a target or skip: true, not both" };
  if (skip)
    return { value: { ...origin(site, "skip", `${source.value} skip`), source: prefix.value } };
  if (!targetText.value) return { problem: "needs a target, or skip: true to leave images alone" };
  const target = parseTarget(targetText.value, true);
  if (target.problem !== undefined) return { problem: target.problem };
  const text = `${source.value} -> ${target.value.text}`;
  return {
    value: {
      ...origin(site, "registry", text),
      source: prefix.value,
      target: target.value,
      cover: coverOf(target.value),
    },
  };
}

export function compileExact(raw: unknown, site: RuleSite): Checked<ExactEntry> {
  const record = asRecord(raw);
  if (!record) return { problem: "must be an object with source and target" };
  const source = typeof record.source === "string" ? parseReference(record.source) : undefined;
  const target = typeof record.target === "string" ? parseReference(record.target) : undefined;
  if (!source) return { problem: "source must be an image reference" };
  if (!source.ok) return { problem: `source "${String(record.source)}": ${source.error}` };
  if (!target) return { problem: "target must be an image reference" };
  if (!target.ok) return { problem: `target "${String(record.target)}": ${target.error}` };
  const output = record.target as string;
  return {
    value: {
      ...origin(site, "exact", `${String(record.source)} -> ${output}`),
      key: flatten(formatReference(source.ref)),
      output,
      cover: { kind: "exact", key: flatten(formatReference(target.ref)) },
    },
  };
}

export function compilePattern(raw: unknown, site: RuleSite): Checked<PatternEntry> {
  const record = asRecord(raw);
  if (!record) return { problem: "must be an object with glob or regex, and target" };
  const { glob, regex, target } = record;
  if ((glob === undefined) === (regex === undefined)) {
    return { problem: "needs exactly one of glob and regex" };
  }
  if (typeof target !== "string") return { problem: "target must be a string" };
  if (typeof glob === "string" && glob !== "") return compileGlob(glob, target, site);
  if (typeof regex === "string" && regex !== "") return compileRegex(regex, target, site);
  return { problem: `${glob !== undefined ? "glob" : "regex"} must be a non-empty string` };
}

function compileGlob(glob: string, targetText: string, site: RuleSite): Checked<PatternEntry> {
  const re = globToRegExp(glob);
  const prefix = literalPrefix(glob);
  if (targetText === "") {
    const text = `glob ${glob} keep`;
    return { value: { ...origin(site, "pattern", text), kind: "glob", re, prefix } };
  }
  const target = parseTarget(targetText, false);
  if (target.problem !== undefined) return { problem: target.problem };
  if (target.value.kind !== "prefix") return { problem: "a glob target cannot be a stem" };
  const text = `glob ${glob} -> ${target.value.text}`;
  const cover = coverOf(target.value);
  return {
    value: {
      ...origin(site, "pattern", text),
      kind: "glob",
      re,
      prefix,
      target: target.value,
      cover,
    },
  };
}

function compileRegex(regex: string, template: string, site: RuleSite): Checked<PatternEntry> {
  // TODO(#3): regexes run without a time limit; a catastrophic pattern in a policy (cluster-admin
  // input) would slow every admission it sees. A linear-time engine would remove the risk.
  let re: RegExp;
  try {
    re = new RegExp(regex);
  } catch (err) {
    return { problem: `regex does not compile: ${(err as Error).message}` };
  }
  const compiled = compileTemplate(re, template);
  if (compiled.problem !== undefined) return { problem: compiled.problem };
  const text = `regex ${regex} -> ${template}`;
  return {
    value: { ...origin(site, "pattern", text), kind: "regex", re, template, cover: compiled.value },
  };
}

export function compileNoSwap(raw: unknown, site: RuleSite): Checked<NoSwapEntry> {
  if (typeof raw !== "string") return { problem: "must be a string" };
  // A `*` at either end is what matching already implies; one inside cannot mean anything.
  const text = raw.replace(/^\*+|\*+$/g, "");
  if (text === "") return { problem: "is empty, which would keep every image out of the default" };
  if (/[*\s]/.test(text)) return { problem: `"${raw}" may not contain "*" or spaces inside` };
  return { value: { ...origin(site, "noSwap", `noSwap ${text}`), text } };
}

export function compileDefault(raw: unknown, site: RuleSite): Checked<DefaultEntry | undefined> {
  if (raw === undefined || raw === "") return { value: undefined };
  if (typeof raw !== "string") return { problem: "must be a string" };
  const target = parseTarget(raw, true);
  if (target.problem !== undefined) return { problem: target.problem };
  return {
    value: {
      ...origin(site, "default", `default -> ${target.value.text}`),
      target: target.value,
      cover: coverOf(target.value),
    },
  };
}
