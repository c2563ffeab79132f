import { parsePrefix } from "./target.js";
import type { ImageSwapPolicySpec, PolicyInput } from "./types.js";

/**
 * The predecessor's map files (phenixblue/imageswap-webhook, MAPS mode), read line by line as it
 * read them: `#` comments, spaces dropped, `key::value` or the deprecated `key:value`, then
 * `default`, `noswap_wildcards`, `[EXACT]`, `[REPLACE]` or a registry key. A line it would skip
 * is a warning here; docs/swap-engine.md lists where the results deliberately differ.
 */

/** One problem in a map file, at a 1-based line (0: the file as a whole). */
export interface MapFileDiagnostic {
  line: number;
  severity: "error" | "warning";
  message: string;
}

export type MapFileEntryKind = "default" | "registry" | "noSwap" | "exact" | "replace";

/** One accepted rule; a `noswap_wildcards` line yields one entry per wildcard. */
export interface MapFileEntry {
  line: number;
  kind: MapFileEntryKind;
  key: string;
  value: string;
}

export interface MapFile {
  entries: MapFileEntry[];
  diagnostics: MapFileDiagnostic[];
}

export interface MapFilePolicyResult {
  input: PolicyInput;
  diagnostics: MapFileDiagnostic[];
}

const EXACT = "[EXACT]";
const REPLACE = "[REPLACE]";
const NOSWAP = "noswap_wildcards";

type Split = { key: string; value: string; warning?: string } | { skip: string };

/** Splits a compacted line the way the predecessor did, `::` first. */
function splitLine(line: string): Split {
  const byDouble = line.split("::");
  if (byDouble.length === 2) return { key: byDouble[0] as string, value: byDouble[1] as string };
  if (byDouble.length > 2) return { skip: 'skipped: more than one "::" separator' };
  const bySingle = line.split(":");
  if (bySingle.length === 2) {
    const warning = 'the ":" separator is deprecated, use "::"';
    return { key: bySingle[0] as string, value: bySingle[1] as string, warning };
  }
  if (bySingle.length > 2)
    return { skip: 'skipped: a port in the key or value needs the "::" separator' };
  return { skip: 'skipped: no "::" separator' };
}

function classify(key: string, value: string, line: number): MapFileEntry[] | string {
  if (key.startsWith(EXACT)) return [{ line, kind: "exact", key: key.slice(EXACT.length), value }];
  if (key.startsWith(REPLACE))
    return [{ line, kind: "replace", key: key.slice(REPLACE.length), value }];
  if (key === "default") return [{ line, kind: "default", key, value }];
  if (key === NOSWAP) {
    return value.split(",").map(item => ({ line, kind: "noSwap" as const, key, value: item }));
  }
  if (key === "") return "skipped: the key is empty";
  if (parsePrefix(key, true).problem !== undefined) {
    return `skipped: "${key}" is not a registry, so the predecessor never matched it`;
  }
  return [{ line, kind: "registry", key, value }];
}

/** Warnings about accepted entries whose meaning differs from the predecessor's. */
function noteDifferences(
  entries: MapFileEntry[],
  diagnostics: MapFileDiagnostic[],
): MapFileEntry[] {
  const kept: MapFileEntry[] = [];
  for (const entry of entries) {
    const warn = (message: string): void => {
      diagnostics.push({ line: entry.line, severity: "warning", message });
    };
    if (entry.kind === "noSwap" && entry.value === "") {
      warn(
        "empty noswap_wildcards entry ignored (the predecessor then kept every image out of the default)",
      );
      continue;
    }
    if (entry.kind === "noSwap" && entry.value.includes("*")) {
      warn(
        `"${entry.value}": the predecessor matched "*" literally; here a leading or trailing "*" is dropped`,
      );
    }
    const slash = entry.key.indexOf("/");
    if (entry.kind === "registry" && slash >= 0 && entry.key.slice(slash + 1) !== "library") {
      warn(
        `the predecessor ignored "${entry.key}" (only <registry>/library keys); it applies here as a path prefix`,
      );
    }
    kept.push(entry);
  }
  return kept;
}

/** Parses map-file text; never throws. Later duplicates win in place, as in the predecessor. */
export function parseMapFile(text: string): MapFile {
  const entries: MapFileEntry[] = [];
  const diagnostics: MapFileDiagnostic[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.startsWith("#")) return;
    const hash = raw.indexOf("#");
    const compact = (hash < 0 ? raw : raw.slice(0, hash)).replace(/\s+/g, "");
    if (compact === "") return;
    const split = splitLine(compact);
    if ("skip" in split)
      return diagnostics.push({ line, severity: "warning", message: split.skip });
    if (split.warning) diagnostics.push({ line, severity: "warning", message: split.warning });
    const classified = classify(split.key, split.value, line);
    if (typeof classified === "string") {
      return diagnostics.push({ line, severity: "warning", message: classified });
    }
    addEntries(entries, classified, seen, diagnostics);
  });
  const kept = noteDifferences(entries, diagnostics);
  if (kept.some(e => e.kind === "registry") && !kept.some(e => e.kind === "default")) {
    const message =
      "no default entry: the predecessor then ignored every registry line; here they apply";
    diagnostics.push({ line: 0, severity: "warning", message });
  }
  diagnostics.sort((a, b) => a.line - b.line);
  return { entries: kept, diagnostics };
}

function addEntries(
  entries: MapFileEntry[],
  added: MapFileEntry[],
  seen: Map<string, number>,
  diagnostics: MapFileDiagnostic[],
): void {
  const first = added[0] as MapFileEntry;
  const id = `${first.kind}\u0000${first.kind === "noSwap" ? "" : first.key}`;
  const earlier = seen.get(id);
  if (earlier === undefined) {
    entries.push(...added);
  } else {
    const message = `overridden by line ${first.line}, a later line with the same key`;
    diagnostics.push({ line: earlier, severity: "warning", message });
    // Like a Python dict update: the rule keeps the earlier position with the later value.
    const isEarlier = (e: MapFileEntry): boolean => e.line === earlier && e.kind === first.kind;
    const at = entries.findIndex(isEarlier);
    const count = entries.filter(isEarlier).length;
    entries.splice(at, count, ...added);
  }
  seen.set(id, first.line);
}

/** The structured rule an entry stands for, in the shape of the policy spec. */
export function ruleOf(entry: MapFileEntry): unknown {
  switch (entry.kind) {
    case "default":
    case "noSwap":
      return entry.value;
    case "registry":
      return entry.value === ""
        ? { source: entry.key, skip: true }
        : { source: entry.key, target: entry.value };
    case "exact":
      return { source: entry.key, target: entry.value };
    case "replace":
      return { glob: entry.key, target: entry.value };
  }
}

/** Converts a map file into an equivalent structured policy (for `imageswap convert`). */
export function policyFromMapFile(text: string, name: string): MapFilePolicyResult {
  const { entries, diagnostics } = parseMapFile(text);
  const spec: ImageSwapPolicySpec = {};
  const pick = (kind: MapFileEntryKind): unknown[] =>
    entries.filter(e => e.kind === kind).map(ruleOf);
  const fallback = pick("default")[0] as string | undefined;
  if (fallback) spec.default = fallback;
  const registries = pick("registry");
  if (registries.length > 0) spec.registries = registries as ImageSwapPolicySpec["registries"];
  const exact = pick("exact");
  if (exact.length > 0) spec.exact = exact as ImageSwapPolicySpec["exact"];
  const patterns = pick("replace");
  if (patterns.length > 0) spec.patterns = patterns as ImageSwapPolicySpec["patterns"];
  const noSwap = pick("noSwap");
  if (noSwap.length > 0) spec.noSwap = noSwap as string[];
  return { input: { name, spec }, diagnostics };
}
