import { performance } from "node:perf_hooks";
import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";

/**
 * Pods created through the apiserver by concurrent clients, each with its own connection pool,
 * as controllers creating Pods would: the load of the admission suites and of the admission
 * latency benchmark. Latency is per create call, admission webhooks included.
 */

export interface PodLoadOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Pods in all. */
  total: number;
  /** Concurrent clients, each creating Pods one after another. */
  clients: number;
  /** The Pod for sequence number `n`; its name must be unique. */
  pod: (n: number) => V1Pod;
}

export interface PodLoadResult {
  /** One per Pod created, in ms, in completion order. */
  latenciesMs: number[];
  /** The stored Pods the apiserver returned. */
  created: V1Pod[];
  /** `name: message` of each create that failed. */
  failures: string[];
  wallMs: number;
}

function messageOf(err: unknown): string {
  // ApiException's message embeds headers; its body holds the apiserver's Status message.
  const body = (err as { body?: unknown }).body;
  const text = typeof body === "string" ? body : (err as Error).message;
  return String(text).slice(0, 300);
}

/** Creates `total` Pods with `clients` workers; never rejects, failures are returned. */
export async function createPods(options: PodLoadOptions): Promise<PodLoadResult> {
  const result: PodLoadResult = { latenciesMs: [], created: [], failures: [], wallMs: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    // One API client per worker: separate keep-alive connections, like separate controllers.
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    while (next < options.total) {
      const body = options.pod(next++);
      const started = performance.now();
      try {
        result.created.push(await core.createNamespacedPod({ namespace: options.namespace, body }));
        result.latenciesMs.push(performance.now() - started);
      } catch (err) {
        result.failures.push(`${body.metadata?.name}: ${messageOf(err)}`);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.clients }, worker));
  result.wallMs = performance.now() - started;
  return result;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

/** Nearest-rank percentiles, rounded to 0.1 ms. */
export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? 0),
    mean: round(sorted.length === 0 ? 0 : sum / sorted.length),
  };
}

/** A small fixed-width table for console.log. */
export function formatTable(columns: string[], rows: Array<Array<string | number>>): string {
  const cells = [columns, ...rows.map(r => r.map(String))];
  const widths = columns.map((_, i) => Math.max(...cells.map(r => (r[i] ?? "").length)));
  const line = (r: string[]): string => r.map((c, i) => c.padStart(widths[i] ?? 0)).join("  ");
  return cells.map(line).join("\n");
}
