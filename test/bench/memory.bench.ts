/**
 * Memory benchmark: heap and resident memory of compiled swap tables of 10, 1,000 and 100,000
 * rules, and of a webhook server process serving the 100,000-rule table under requests. Each
 * case runs in a fresh child process, measured after a full collection, against two baselines
 * from the same run: the empty process, and a plain Map holding the same 100,000 rule strings
 * (the least any table of those rules can take).
 *
 * Run: `npm run build && node dist/test/bench/memory.bench.js`. No assertions: numbers only.
 */
import { fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compile, type PolicyInput } from "../../webhook/swap/index.js";
import { startWebhookServer } from "../../webhook/server/server.js";
import { StateHolder } from "../../webhook/server/serving-state.js";
import { createLogger } from "../../webhook/telemetry/logger.js";
import { createMetrics } from "../../webhook/telemetry/metrics.js";
import { makeCertificate, post } from "../fixtures/admission/harness.js";
import type { BenchTable } from "./swap.bench.js";
import { loopbackServerOptions } from "../fixtures/admission/server-options.js";

type CaseName = "empty" | "map" | "table-10" | "table-1000" | "table-100000" | "server-100000";

interface Sample {
  heapMiB: number;
  rssMiB: number;
  buildMs: number;
}

const CASES: Array<{ name: CaseName; label: string; rules: number }> = [
  { name: "empty", label: "baseline: empty process", rules: 0 },
  { name: "map", label: "baseline: Map of the 100,000 rule strings", rules: 100_000 },
  { name: "table-10", label: "swap table", rules: 10 },
  { name: "table-1000", label: "swap table", rules: 1_000 },
  { name: "table-100000", label: "swap table", rules: 100_000 },
  {
    name: "server-100000",
    label: "webhook server serving the table, after 500 reviews",
    rules: 100_000,
  },
];

/** Half registry rules, half exact rules, and a default: the shape of a large mirror setup. */
function policyOf(count: number): PolicyInput {
  const half = Math.floor(count / 2);
  const registries = Array.from({ length: half }, (_, j) => ({
    source: `reg${j}.example.com/team`,
    target: `mirror.example.com/reg${j}`,
  }));
  const exact = Array.from({ length: count - half }, (_, j) => ({
    source: `ghcr.io/team${j}/app:${j % 10}`,
    target: `mirror.example.com/pinned/team${j}/app:${j % 10}`,
  }));
  return { name: "memory", spec: { default: "mirror.example.com/proxy", registries, exact } };
}

/** The same strings as the policy's rules, in a Map: what the rules cost as bare data. */
function mapOf(count: number): Map<string, string> {
  const { registries = [], exact = [] } = policyOf(count).spec;
  const map = new Map<string, string>();
  for (const rule of [...registries, ...exact]) map.set(rule.source, rule.target ?? "");
  return map;
}

async function serve(count: number): Promise<() => Promise<void>> {
  const state = new StateHolder();
  state.publish({ table: compile([policyOf(count)], 1).table, namespaces: null });
  const cert = await makeCertificate();
  const server = await startWebhookServer({
    ...loopbackServerOptions(),
    state,
    log: createLogger({ level: "info", stream: new Writable({ write: (_c, _e, done) => done() }) }),
    metrics: createMetrics({ includeDefaults: true }),
    certificate: { cert: cert.cert, key: cert.key },
  });
  for (let i = 0; i < 500; i++) {
    const image = i % 2 === 0 ? `reg${i}.example.com/team/app:1` : `ghcr.io/team${i}/app:${i % 10}`;
    const review = {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid: `uid-${i}`,
        kind: { group: "", version: "v1", kind: "Pod" },
        operation: "CREATE",
        namespace: "default",
        object: { metadata: { name: `p${i}` }, spec: { containers: [{ name: "c", image }] } },
      },
    };
    await post(server.port, review, { ca: cert.ca });
  }
  return () => server.close();
}

// Module scope, so that what is measured stays reachable through the collections.
let retained: unknown;

/** In the child: build the case, collect, measure, report to the parent, exit. */
async function measureChild(name: CaseName): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const rules = CASES.find(c => c.name === name)!.rules;
  const started = performance.now();
  let close: (() => Promise<void>) | undefined;
  if (name === "map") retained = mapOf(rules);
  else if (name.startsWith("table")) retained = compile([policyOf(rules)], 1).table;
  else if (name.startsWith("server")) close = await serve(rules);
  const buildMs = performance.now() - started;
  gc();
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const sample: Sample = { heapMiB: mib(heapUsed), rssMiB: mib(rss), buildMs: Math.round(buildMs) };
  await new Promise<void>(resolve =>
    process.send!({ sample, retained: retained !== undefined }, () => resolve()),
  );
  await close?.();
  process.exit(0);
}

function runChild(name: CaseName): Promise<Sample> {
  const child = fork(fileURLToPath(import.meta.url), ["--measure", name], {
    execArgv: ["--expose-gc"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("message", (m: { sample: Sample }) => resolve(m.sample));
    child.once(
      "exit",
      code => code !== 0 && reject(new Error(`memory case ${name} exited ${code}`)),
    );
  });
}

/** Median of three children per case, by heap. */
async function sampleCase(name: CaseName): Promise<Sample> {
  const samples = [await runChild(name), await runChild(name), await runChild(name)];
  return samples.sort((a, b) => a.heapMiB - b.heapMiB)[1]!;
}

export async function runMemoryBench(
  progress: (line: string) => void = line => process.stderr.write(`${line}\n`),
): Promise<BenchTable> {
  const results: Sample[] = [];
  for (const c of CASES) {
    progress(`memory bench: ${c.name}`);
    results.push(await sampleCase(c.name));
  }
  const empty = results[0]!;
  const round = (n: number): number => Math.round(n * 10) / 10;
  const rows = CASES.map((c, i) => {
    const s = results[i]!;
    const heap = round(s.heapMiB - empty.heapMiB);
    const perRule =
      c.rules > 0 ? Math.round(((s.heapMiB - empty.heapMiB) * 1024 * 1024) / c.rules) : "-";
    return [
      c.label,
      c.rules,
      s.heapMiB,
      heap,
      s.rssMiB,
      round(s.rssMiB - empty.rssMiB),
      perRule,
      s.buildMs,
    ];
  });
  const map = results[1]!;
  const table = results[4]!;
  return {
    title: "Memory: swap tables and a serving webhook, MiB after a full collection",
    columns: [
      "case",
      "rules",
      "heap",
      "heap - empty",
      "RSS",
      "RSS - empty",
      "heap bytes/rule",
      "build ms",
    ],
    rows,
    notes: [
      `100,000 rules take ${round(table.heapMiB - empty.heapMiB)} MiB of heap, ${round((table.heapMiB - empty.heapMiB) / Math.max(map.heapMiB - empty.heapMiB, 0.1))}x the bare Map of their strings.`,
      "Rules: half registry (host/path prefix), half exact (whole image), plus a default.",
      `Median of 3 fresh child processes per case (by heap), each after two forced collections; Node ${process.version}.`,
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf("--measure");
  if (at >= 0) {
    await measureChild(process.argv[at + 1] as CaseName);
  } else {
    const { toMarkdown } = await import("./swap.bench.js");
    process.stdout.write(toMarkdown(await runMemoryBench()));
  }
}
