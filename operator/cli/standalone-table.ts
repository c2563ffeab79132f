import { basename, extname } from "node:path";
import { compile, loadPolicyDocuments } from "../../webhook/swap/index.js";
import type { PolicyInput, PolicyReport, SwapTable } from "../../webhook/swap/index.js";

/**
 * Builds the standalone webhook's swap table from file contents: ImageSwapPolicy YAML files, or
 * one predecessor map file. Pure (texts in, table out) so that startup and every reload agree.
 */

export interface StandaloneSource {
  file: string;
  text: string;
}

export interface StandaloneTableResult {
  /** Absent when any error was found: a table is served whole or not at all. */
  table?: SwapTable;
  /** `file:line: message`, one per error, all of them. */
  errors: string[];
  warnings: string[];
}

interface LoadedFile {
  file: string;
  inputs: PolicyInput[];
  lineOf(policy: string, field: string): number | undefined;
}

/** A policy name from a map file's name: `maps/imageswap-maps.conf` is `imageswap-maps`. */
export function mapFilePolicyName(file: string): string {
  const stem = basename(file, extname(file)).toLowerCase();
  const name = stem.replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  return name === "" ? "map-file" : name.slice(0, 63);
}

function loadPolicyFile(
  source: StandaloneSource,
  errors: string[],
  warnings: string[],
): LoadedFile {
  const docs = loadPolicyDocuments(source.text, source.file);
  for (const d of docs.diagnostics) {
    (d.severity === "error" ? errors : warnings).push(`${d.file}:${d.line}: ${d.message}`);
  }
  return { file: source.file, inputs: docs.inputs, lineOf: (p, f) => docs.lineOf(p, f) };
}

function loadMapFile(source: StandaloneSource): LoadedFile {
  const input: PolicyInput = {
    name: mapFilePolicyName(source.file),
    spec: { mapFile: source.text },
  };
  const lineOf = (_policy: string, field: string) => {
    const line = /^mapFile:(\d+)$/.exec(field)?.[1];
    return line === undefined ? undefined : Number(line);
  };
  return { file: source.file, inputs: [input], lineOf };
}

function placeDiagnostics(
  reports: PolicyReport[],
  files: LoadedFile[],
  result: StandaloneTableResult,
) {
  for (const report of reports) {
    const file = files.find(f => f.inputs.some(i => i.name === report.name));
    for (const d of report.diagnostics) {
      const where = file ? `${file.file}:${file.lineOf(report.name, d.field) ?? 1}` : report.name;
      const text = `${where}: ${d.message} (policy ${d.policy}, ${d.field})`;
      (d.severity === "error" ? result.errors : result.warnings).push(text);
    }
  }
}

/**
 * Compiles the sources into one table of the given generation.
 * @param kind `policy` for ImageSwapPolicy YAML, `mapFile` for one predecessor map file
 */
export function buildStandaloneTable(
  sources: readonly StandaloneSource[],
  kind: "policy" | "mapFile",
  generation: number,
): StandaloneTableResult {
  const result: StandaloneTableResult = { errors: [], warnings: [] };
  const files =
    kind === "mapFile"
      ? sources.map(loadMapFile)
      : sources.map(s => loadPolicyFile(s, result.errors, result.warnings));

  const { table, reports } = compile(
    files.flatMap(f => f.inputs),
    generation,
  );
  placeDiagnostics(reports, files, result);
  for (const c of table.conflicts) {
    result.warnings.push(`${c.key} is mapped by ${c.winner} and ${c.loser}; ${c.winner} wins`);
  }
  if (result.errors.length === 0) result.table = table;
  return result;
}
