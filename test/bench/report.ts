/**
 * `make bench`: runs every benchmark once, in one process, and writes one markdown report with a
 * table per benchmark and the machine it ran on (default `docs/bench-report.md`). The benchmarks
 * that need Kubernetes share one local control plane, started here and stopped at the end.
 *
 * Every benchmark measures its own baseline in the same run; the report holds no target times
 * and asserts nothing. A benchmark that fails is reported as failed, the others still run, and
 * the exit code is 1.
 *
 * Run: `make bench`, or `node dist/test/bench/report.js [--only swap,memory] [--out FILE]`.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { findRepoRoot } from "../cluster/bins.js";
import { startControlPlane, type ControlPlane } from "../cluster/control-plane.js";
import { runAdmissionLatencyBench } from "./admission-latency.bench.js";
import { runMemoryBench } from "./memory.bench.js";
import { runReloadBench } from "./reload.bench.js";
import { runSwapBench, toMarkdown, type BenchTable } from "./swap.bench.js";
import { runWebhookBench } from "./webhook.bench.js";

interface Bench {
  name: string;
  /** Needs the control plane: given its admin kubeconfig. */
  cluster: boolean;
  run: (kubeconfigPath: string) => Promise<BenchTable>;
}

const BENCHES: Bench[] = [
  { name: "swap", cluster: false, run: () => runSwapBench() },
  { name: "webhook", cluster: false, run: () => runWebhookBench() },
  { name: "memory", cluster: false, run: () => runMemoryBench() },
  { name: "reload", cluster: true, run: kubeconfigPath => runReloadBench({ kubeconfigPath }) },
  {
    name: "admission",
    cluster: true,
    run: kubeconfigPath => runAdmissionLatencyBench({ kubeconfigPath }),
  },
];

interface Outcome {
  name: string;
  seconds: number;
  table?: BenchTable;
  error?: string;
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: findRepoRoot(), encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function machine(started: Date): string {
  const cpu = cpus();
  const rows = [
    ["CPU", `${cpu[0]?.model ?? "unknown"}`],
    ["cores", String(cpu.length)],
    ["memory", `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`],
    ["OS", `${type()} ${release()}`],
    ["Node", process.version],
    ["date", started.toISOString()],
    [
      "commit",
      `${git(["rev-parse", "--short", "HEAD"])}${git(["status", "--porcelain"]) === "" ? "" : " (working tree had changes)"}`,
    ],
    [
      "load average at start (1/5/15 min)",
      loadavg()
        .map(n => n.toFixed(2))
        .join(" / "),
    ],
  ];
  return ["| | |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
}

function render(started: Date, outcomes: Outcome[]): string {
  const sections = outcomes.map(o =>
    o.table
      ? `${toMarkdown(o.table)}\n_${o.name}: ${o.seconds.toFixed(0)} s_\n`
      : `### ${o.name}\n\nFAILED after ${o.seconds.toFixed(0)} s: ${o.error}\n`,
  );
  return [
    "# Benchmark report",
    "",
    "Written by `make bench` (`test/bench/report.ts`) from one run; do not edit by hand. Each",
    "table carries its own baseline, measured in the same run on the same machine: read the",
    "numbers against it rather than as absolute times. The machine may have been busy with other",
    "work (see the load average).",
    "",
    "## Machine",
    "",
    machine(started),
    "",
    "## Results",
    "",
    sections.join("\n"),
  ].join("\n");
}

/** The control plane, started by the first benchmark that needs it. */
interface Shared {
  plane?: ControlPlane;
}

async function runOne(bench: Bench, shared: Shared, log: (line: string) => void): Promise<Outcome> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  log(`bench: ${bench.name} started`);
  try {
    if (bench.cluster) shared.plane ??= await startControlPlane();
    const table = await bench.run(shared.plane?.kubeconfigPath ?? "");
    log(`bench: ${bench.name} done in ${seconds().toFixed(0)} s`);
    return { name: bench.name, seconds: seconds(), table };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log(`bench: ${bench.name} failed: ${err instanceof Error ? err.stack : error}`);
    return { name: bench.name, seconds: seconds(), error: error.split("\n")[0] };
  }
}

async function runAll(selected: Bench[], log: (line: string) => void): Promise<Outcome[]> {
  const shared: Shared = {};
  const outcomes: Outcome[] = [];
  try {
    for (const bench of selected) outcomes.push(await runOne(bench, shared, log));
  } finally {
    await shared.plane?.stop();
  }
  return outcomes;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: "string" }, out: { type: "string" } } });
  const only = values.only?.split(",");
  const selected = BENCHES.filter(b => !only || only.includes(b.name));
  const out = values.out ?? join(findRepoRoot(), "docs", "bench-report.md");
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const started = new Date();
  const outcomes = await runAll(selected, log);
  writeFileSync(out, render(started, outcomes));
  log(`bench: report written to ${out}`);
  return outcomes.some(o => o.error !== undefined) ? 1 : 0;
}

main().then(
  code => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `bench report failed: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
