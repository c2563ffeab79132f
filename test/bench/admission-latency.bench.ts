/**
 * Admission latency through the apiserver: Pods created with `POST .../pods` into a namespace
 * where the compiled operator's webhook (failurePolicy Fail) swaps their images, one client at a
 * time and then 20 concurrent clients; and, in the same run, the same Pods into an unlabelled
 * namespace, which the apiserver admits without calling us. That baseline is what the apiserver
 * and etcd cost on this machine; the difference is the webhook's share.
 *
 * Run: `npm run build && node dist/test/bench/admission-latency.bench.js [--kubeconfig PATH]`;
 * without a kubeconfig it starts (and stops) a control plane of its own. No assertions.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { resolveBinDir } from "../cluster/bins.js";
import { startControlPlane, type ControlPlane } from "../cluster/control-plane.js";
import { readEndpoint } from "../cluster/test-env.js";
import { startAdmissionRig, type AdmissionRig } from "../reliability/admission-rig.js";
import { createPods, summarize, type PodLoadResult } from "../reliability/pod-load.js";
import { toMarkdown, type BenchTable } from "./swap.bench.js";

export interface AdmissionLatencyOptions {
  /** Admin kubeconfig of a running cluster; absent starts a control plane for the run. */
  kubeconfigPath?: string;
  /** Pods per concurrent run. @default 500 */
  pods?: number;
  /** Concurrent clients. @default 20 */
  clients?: number;
  /** Pods of the one-client run. @default 100 */
  serialPods?: number;
  progress?: (line: string) => void;
}

interface Run {
  label: string;
  clients: number;
  result: PodLoadResult;
}

async function measure(
  rig: AdmissionRig,
  kc: KubeConfig,
  o: Required<Omit<AdmissionLatencyOptions, "kubeconfigPath">>,
) {
  const runs: Run[] = [];
  const load = async (label: string, namespace: string, clients: number, total: number) => {
    o.progress(`admission bench: ${label}, ${clients} clients, ${total} Pods`);
    const prefix = `${label.split(" ")[0]}-${clients}`;
    const result = await createPods({
      kubeConfig: kc,
      namespace,
      total,
      clients,
      pod: n => rig.pod(`${prefix}-${n}`),
    });
    if (result.failures.length > 0)
      throw new Error(`${label}: ${result.failures.length} creates failed: ${result.failures[0]}`);
    runs.push({ label, clients, result });
  };
  // Warm-up, unreported: connections, the webhook's JIT, the apiserver's caches.
  await createPods({
    kubeConfig: kc,
    namespace: rig.namespace,
    total: 40,
    clients: 4,
    pod: n => rig.pod(`warm-${n}`),
  });
  await createPods({
    kubeConfig: kc,
    namespace: rig.baselineNamespace,
    total: 40,
    clients: 4,
    pod: n => rig.pod(`warm-${n}`),
  });
  for (const clients of [1, o.clients]) {
    const total = clients === 1 ? o.serialPods : o.pods;
    await load("baseline (no webhook)", rig.baselineNamespace, clients, total);
    await load("imageswap webhook", rig.namespace, clients, total);
  }
  return runs;
}

function toTable(runs: Run[], swapped: boolean): BenchTable {
  const rows = runs.map(r => {
    const s = summarize(r.result.latenciesMs);
    const rate = Math.round((r.result.created.length / r.result.wallMs) * 1000);
    return [r.label, r.clients, s.count, s.p50, s.p90, s.p99, s.max, rate];
  });
  const notes = [1, runs.at(-1)!.clients].map(clients => {
    const pick = (label: string) =>
      summarize(
        runs.find(r => r.clients === clients && r.label.startsWith(label))!.result.latenciesMs,
      );
    const web = pick("imageswap");
    const base = pick("baseline");
    const diff = (a: number, b: number): string => (a - b).toFixed(1);
    return `${clients} client(s): the webhook adds ${diff(web.p50, base.p50)} ms at p50 and ${diff(web.p99, base.p99)} ms at p99 over the baseline.`;
  });
  notes.push(
    `Pods: one init container and two containers, all three images swapped (${swapped ? "checked on every stored Pod" : "NOT all swapped"}); Pods stay Pending (no scheduler).`,
    "Latency: one POST of a Pod, from request sent to answer received, admission webhooks included.",
    `The apiserver calls the webhook at https://127.0.0.1 with failurePolicy Fail; Node ${process.version}.`,
  );
  return {
    title: "Admission latency through the apiserver: Pod create, ms",
    columns: ["path", "clients", "pods", "p50", "p90", "p99", "max", "pods/s"],
    rows,
    notes,
  };
}

/** Runs the benchmark and returns its table; starts (and stops) a control plane if needed. */
export async function runAdmissionLatencyBench(
  options: AdmissionLatencyOptions = {},
): Promise<BenchTable> {
  const o = {
    pods: options.pods ?? 500,
    clients: options.clients ?? 20,
    serialPods: options.serialPods ?? 100,
    progress: options.progress ?? ((line: string) => process.stderr.write(`${line}\n`)),
  };
  let plane: ControlPlane | undefined;
  if (!options.kubeconfigPath) plane = await startControlPlane();
  const kubeconfigPath = options.kubeconfigPath ?? plane!.kubeconfigPath;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  let rig: AdmissionRig | undefined;
  try {
    rig = await startAdmissionRig({
      cluster: readEndpoint(kubeconfigPath, await resolveBinDir()),
      kubeConfig: kc,
    });
    const runs = await measure(rig, kc, o);
    const want = rig.expected("nginx:1.25");
    const webhookRuns = runs.filter(r => r.label.startsWith("imageswap"));
    const swapped = webhookRuns.every(r =>
      r.result.created.every(p => p.spec?.containers[0]?.image === want),
    );
    return toTable(runs, swapped);
  } finally {
    await rig?.stop();
    await plane?.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { kubeconfig: { type: "string" }, pods: { type: "string" } },
  });
  const pods = values.pods === undefined ? undefined : Number(values.pods);
  process.stdout.write(
    toMarkdown(await runAdmissionLatencyBench({ kubeconfigPath: values.kubeconfig, pods })),
  );
}
