import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { parseArgs } from "node:util";
import {
  compile,
  describeDecision,
  loadPolicyDocuments,
  type PolicyInput,
  type PolicyReport,
  type SwapDecision,
} from "../../webhook/swap/index.js";
import { ConfigError } from "../../webhook/errors.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./io.js";

const HELP = `Usage: imageswap swap [--policy FILE]... [--map-file FILE] [--explain] IMAGE...

Prints one line per IMAGE: the image a Pod would run (the input itself when unchanged).
Every policy applies, whatever its namespaceSelector. Audit policies change nothing here either.

Options:
  --policy FILE     YAML with one or more ImageSwapPolicy documents (repeatable)
  --map-file FILE   a map file of the predecessor (phenixblue/imageswap-webhook, MAPS mode)
  --explain         print "IMAGE -> RESULT (rule)" instead

Exit status: 0 done; 1 an IMAGE is not a valid reference or a rule would make it invalid;
2 bad flags, or a file that cannot be read or is invalid (the message names file and line).
`;

/** A policy source: where its problems are reported. */
export interface LoadedSource {
  inputs: PolicyInput[];
  /** `file:line` for a compile diagnostic's field in a policy of this source. */
  where(policy: string, field: string): string;
  /** Problems found before compiling, already formatted. */
  errors: string[];
}

/** A safe policy name from a file name: `maps/imageswap-maps.conf` → `imageswap-maps`. */
export function policyNameOf(file: string): string {
  const stem = basename(file, extname(file)).toLowerCase();
  const name = stem.replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  return name === "" ? "map-file" : name.slice(0, 63);
}

export async function readSource(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(`${file}: cannot read: ${reason}`, { cause: err });
  }
}

export async function loadPolicyFile(file: string): Promise<LoadedSource> {
  const docs = loadPolicyDocuments(await readSource(file), file);
  return {
    inputs: docs.inputs,
    where: (policy, field) => `${file}:${docs.lineOf(policy, field) ?? 1}`,
    errors: docs.diagnostics.map(d => `${d.file}:${d.line}: ${d.message}`),
  };
}

export async function loadMapFile(file: string): Promise<LoadedSource> {
  const mapFile = await readSource(file);
  const input: PolicyInput = { name: policyNameOf(file), spec: { mapFile } };
  return {
    inputs: [input],
    where: (_policy, field) => {
      const line = /^mapFile:(\d+)$/.exec(field)?.[1];
      return line !== undefined ? `${file}:${line}` : file;
    },
    errors: [],
  };
}

/** Writes every diagnostic to stderr; returns true when one of them is an error. */
export function reportDiagnostics(
  reports: readonly PolicyReport[],
  sources: readonly LoadedSource[],
  io: CliIo,
): boolean {
  let failed = false;
  for (const report of reports) {
    const source = sources.find(s => s.inputs.some(i => i.name === report.name));
    for (const d of report.diagnostics) {
      const where = source ? source.where(report.name, d.field) : report.name;
      const label = d.severity === "error" ? "error" : "warning";
      io.stderr.write(`${where}: ${label}: ${d.message} (policy ${d.policy}, ${d.field})\n`);
      failed ||= d.severity === "error";
    }
  }
  return failed;
}

function printDecision(decision: SwapDecision, explain: boolean, io: CliIo): void {
  if (explain) {
    io.stdout.write(`${describeDecision(decision)}\n`);
    return;
  }
  // An Audit decision is reported, never applied: the Pod keeps its image.
  const image = decision.mode === "Audit" ? decision.input : decision.output;
  io.stdout.write(`${image}\n`);
  if (decision.error !== undefined) io.stderr.write(`${decision.input}: ${decision.error}\n`);
}

async function loadSources(
  policies: string[],
  mapFile: string | undefined,
): Promise<LoadedSource[]> {
  const sources = await Promise.all(policies.map(loadPolicyFile));
  if (mapFile !== undefined) sources.push(await loadMapFile(mapFile));
  return sources;
}

interface SwapFlags {
  policies: string[];
  mapFile?: string;
  explain: boolean;
  images: string[];
}

/** Parses argv; returns an exit code when there is nothing more to do. */
function parseFlags(argv: string[], io: CliIo): SwapFlags | number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        policy: { type: "string", multiple: true, default: [] },
        "map-file": { type: "string" },
        explain: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    io.stderr.write(`imageswap swap: ${(err as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  if (positionals.length === 0 || (values.policy.length === 0 && !values["map-file"])) {
    io.stderr.write(
      `imageswap swap: give --policy or --map-file, and at least one IMAGE\n\n${HELP}`,
    );
    return EXIT_USAGE;
  }
  const { policy: policies, explain } = values;
  return { policies, mapFile: values["map-file"], explain, images: positionals };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, io);
  if (typeof flags === "number") return flags;

  let sources: LoadedSource[];
  try {
    sources = await loadSources(flags.policies, flags.mapFile);
  } catch (err) {
    io.stderr.write(`imageswap swap: ${(err as Error).message}\n`);
    return EXIT_USAGE;
  }

  const early = sources.flatMap(s => s.errors);
  for (const line of early) io.stderr.write(`${line}\n`);
  const { table, reports } = compile(
    sources.flatMap(s => s.inputs),
    0,
  );
  const failed = reportDiagnostics(reports, sources, io);
  for (const c of table.conflicts) {
    io.stderr.write(
      `warning: ${c.key} is mapped by ${c.winner} and ${c.loser}; ${c.winner} wins\n`,
    );
  }
  if (failed || early.length > 0) return EXIT_USAGE;

  const decisions = flags.images.map(image => table.swap(image));
  for (const decision of decisions) printDecision(decision, flags.explain, io);
  return decisions.some(d => d.error !== undefined) ? EXIT_FAILURE : EXIT_OK;
}
