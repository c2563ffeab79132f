/**
 * Webhook benchmark: autocannon against the real HTTPS admission server with a realistic Pod
 * review (three containers, an init container and an image volume, all swapped), at 1, 8 and 64
 * connections; and, in the same run, against a bare `node:https` server that only parses the
 * JSON body and returns a fixed allowed review. The bare server is the baseline: the webhook's
 * target is at least 0.8 of its req/s at 64 connections, with p99 at most twice its p99.
 *
 * Each server runs in a child process of its own, so that RSS is the server's alone and the load
 * generator does not share its event loop. No assertions: numbers are read against the baseline.
 *
 * Run: `npm run bench:webhook` (builds, then runs dist/test/bench/webhook.bench.js).
 * Quick run: `node dist/test/bench/webhook.bench.js --duration 2 --connections 8`.
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:https";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import express from "express";
import {
  MIRROR_POLICY,
  makeCertificate,
  patchOf,
  post,
  tableOf,
} from "../fixtures/admission/harness.js";
import { startWebhookServer } from "../../webhook/server/server.js";
import { StateHolder } from "../../webhook/server/serving-state.js";
import { createLogger } from "../../webhook/telemetry/logger.js";
import { createMetrics } from "../../webhook/telemetry/metrics.js";
import { loopbackServerOptions } from "../fixtures/admission/server-options.js";

/**
 * `bare` is the baseline the issue names. `express` is the same fixed answer through an Express 5
 * route with express.json: the floor any Express app pays, so the table shows which part of
 * the gap is the framework and which is the webhook's own work.
 */
type Target = "webhook" | "express" | "bare";
const TARGETS: readonly Target[] = ["bare", "express", "webhook"];

export interface WebhookBenchOptions {
  /** @default [1, 8, 64] */
  connections?: number[];
  /** Seconds per measured run. @default 10 */
  durationSec?: number;
  /** Seconds of unreported load per server first, so both are measured warm. @default 3 */
  warmupSec?: number;
  /** Progress lines. @default stderr */
  progress?: (line: string) => void;
}

export interface WebhookBenchRow {
  target: Target;
  connections: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Resident set of the server process after the run. */
  rssMiB: number;
  /** Socket errors, timeouts and non-2xx answers: 0 in a sound run. */
  failures: number;
}

/** The same shape as the swap benchmark's table, for the report generator. */
export interface WebhookBenchResult {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  notes: string[];
  measurements: WebhookBenchRow[];
}

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no types; this is the slice of its API used here.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const HERE = dirname(fileURLToPath(import.meta.url));

/** The fixture review, found from source (ts-jest) or from dist/ alike. */
function readReview(): string {
  let dir = HERE;
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return readFileSync(join(dir, "test/fixtures/admission/pod-create.json"), "utf8");
}

// ---- server side (child process) -------------------------------------------------------

async function serveWebhook(cert: { cert: string; key: string }): Promise<number> {
  const state = new StateHolder();
  state.publish({ table: tableOf({ mirror: MIRROR_POLICY }), namespaces: null });
  // Logs are produced and serialised as in production (one info line per patch), then dropped.
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const server = await startWebhookServer({
    ...loopbackServerOptions(),
    state,
    log: createLogger({ level: "info", stream: sink }),
    metrics: createMetrics({ includeDefaults: true }),
    certificate: cert,
  });
  return server.port;
}

async function serveBare(cert: { cert: string; key: string }): Promise<number> {
  const server = createServer(
    { cert: cert.cert, key: cert.key, minVersion: "TLSv1.2" },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const review = JSON.parse(Buffer.concat(chunks).toString()) as { request: { uid: string } };
        const response = { uid: review.request.uid, allowed: true };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response }),
        );
      });
    },
  );
  server.keepAliveTimeout = 120_000;
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

function fixedAnswer(uid: string): string {
  const response = { uid, allowed: true };
  return JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response });
}

async function serveExpress(cert: { cert: string; key: string }): Promise<number> {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.post("/mutate", express.json({ limit: 7 * 1024 * 1024 }), (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(fixedAnswer((req.body as { request: { uid: string } }).request.uid));
  });
  const server = createServer({ cert: cert.cert, key: cert.key, minVersion: "TLSv1.2" }, app);
  server.keepAliveTimeout = 120_000;
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

const SERVERS: Record<Target, (cert: { cert: string; key: string }) => Promise<number>> = {
  webhook: serveWebhook,
  express: serveExpress,
  bare: serveBare,
};

async function serveChild(target: Target): Promise<void> {
  const cert = await makeCertificate();
  const port = await SERVERS[target](cert);
  process.on("message", () => process.send?.({ rss: process.memoryUsage().rss }));
  process.send?.({ port, ca: cert.ca });
}

// ---- load side (parent) ----------------------------------------------------------------

interface Child {
  process: ChildProcess;
  port: number;
  ca: string;
}

function startChild(target: Target): Promise<Child> {
  const child = fork(fileURLToPath(import.meta.url), ["--serve", target], { execArgv: [] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", code => reject(new Error(`${target} server exited with ${code}`)));
    child.once("message", (m: { port: number; ca: string }) =>
      resolve({ process: child, port: m.port, ca: m.ca }),
    );
  });
}

function rssOf(child: Child): Promise<number> {
  return new Promise(resolve => {
    child.process.once("message", (m: { rss: number }) => resolve(m.rss));
    child.process.send("rss");
  });
}

async function load(child: Child, body: string, connections: number, durationSec: number) {
  return autocannon({
    url: `https://127.0.0.1:${child.port}/mutate`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    connections,
    pipelining: 1,
    duration: durationSec,
  });
}

interface Run {
  target: Target;
  connections: number;
  durationSec: number;
}

async function measure(child: Child, body: string, run: Run): Promise<WebhookBenchRow> {
  const result = await load(child, body, run.connections, run.durationSec);
  const rss = await rssOf(child);
  return {
    target: run.target,
    connections: run.connections,
    requestsPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    rssMiB: Math.round((rss / 1024 / 1024) * 10) / 10,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

/** Proves the webhook does the real work under load: the review comes back patched. */
async function checkPatched(child: Child, body: string): Promise<void> {
  const ops = patchOf(await post(child.port, body, { ca: child.ca })).length;
  if (ops === 0) throw new Error("the webhook answered the bench review without a patch");
}

function ratio(rows: WebhookBenchRow[], target: Target, connections: number) {
  const row = rows.find(r => r.target === target && r.connections === connections);
  const bare = rows.find(r => r.target === "bare" && r.connections === connections);
  if (!row || !bare) return undefined;
  const throughput = (row.requestsPerSec / bare.requestsPerSec).toFixed(2);
  return { throughput, p99: (row.p99Ms / Math.max(bare.p99Ms, 1)).toFixed(2) };
}

function ratioNotes(rows: WebhookBenchRow[]): string[] {
  const notes = [
    "bare: node:https parsing the body and answering a fixed allowed review, in the same run",
    "express: the same fixed answer through one Express 5 route with express.json",
  ];
  for (const connections of new Set(rows.map(r => r.connections))) {
    const web = ratio(rows, "webhook", connections);
    const floor = ratio(rows, "express", connections);
    if (!web || !floor) continue;
    notes.push(
      `${connections} connections: webhook/bare req/s ${web.throughput} (target >= 0.8), ` +
        `p99 ${web.p99}x (target <= 2); express/bare req/s ${floor.throughput}, p99 ${floor.p99}x`,
    );
  }
  return notes;
}

function withDefaults(opts: WebhookBenchOptions): Required<WebhookBenchOptions> {
  return {
    connections: opts.connections ?? [1, 8, 64],
    durationSec: opts.durationSec ?? 10,
    warmupSec: opts.warmupSec ?? 3,
    progress: opts.progress ?? ((line: string) => process.stderr.write(`${line}\n`)),
  };
}

/** Runs every measurement and returns the table; servers are stopped before it resolves. */
export async function runWebhookBench(
  options: WebhookBenchOptions = {},
): Promise<WebhookBenchResult> {
  const { connections, durationSec, warmupSec, progress } = withDefaults(options);
  const body = readReview();
  const children: Partial<Record<Target, Child>> = {};
  try {
    for (const target of TARGETS) children[target] = await startChild(target);
    const started = children as Record<Target, Child>;
    await checkPatched(started.webhook, body);
    for (const target of TARGETS) await load(started[target], body, 8, warmupSec);

    const measurements: WebhookBenchRow[] = [];
    for (const c of connections) {
      for (const target of TARGETS) {
        progress(`webhook bench: ${target}, ${c} connections, ${durationSec} s`);
        measurements.push(
          await measure(started[target], body, { target, connections: c, durationSec }),
        );
      }
    }
    return {
      title: "Admission webhook over HTTPS vs bare node:https and bare Express JSON servers",
      columns: ["server", "connections", "req/s", "p50 ms", "p99 ms", "RSS MiB", "failures"],
      rows: measurements.map(m => [
        m.target,
        m.connections,
        m.requestsPerSec,
        m.p50Ms,
        m.p99Ms,
        m.rssMiB,
        m.failures,
      ]),
      notes: ratioNotes(measurements),
      measurements,
    };
  } finally {
    for (const child of Object.values(children)) child?.process.kill();
  }
}

export function toMarkdown(result: WebhookBenchResult): string {
  const head = `| ${result.columns.join(" | ")} |\n|${result.columns.map(() => "---").join("|")}|`;
  const rows = result.rows.map(row => `| ${row.join(" | ")} |`).join("\n");
  return `### ${result.title}\n\n${head}\n${rows}\n\n${result.notes.map(n => `- ${n}`).join("\n")}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: "string" },
      duration: { type: "string" },
      connections: { type: "string" },
    },
  });
  const serve = TARGETS.find(t => t === values.serve);
  if (serve) return serveChild(serve);
  const result = await runWebhookBench({
    durationSec: values.duration ? Number(values.duration) : undefined,
    connections: values.connections?.split(",").map(Number),
  });
  process.stdout.write(toMarkdown(result));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `webhook bench failed: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
