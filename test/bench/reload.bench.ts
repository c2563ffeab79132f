/**
 * Reload benchmark: from a policy update accepted by the apiserver to the operator's swap table
 * answering with the new result, over a series of updates to one ImageSwapPolicy on the real
 * local control plane. The webhook reads that table on every request, so this is the time until
 * admissions see the change.
 *
 * Baseline, measured in the same run for the same updates: a bare client-node ListWatch on the
 * same resource, i.e. the time for the apiserver's watch event to arrive at all. The operator's
 * own share is the difference (informer, work queue, compile, publish).
 *
 * Run: `npm run bench:reload` (builds, then runs dist/test/bench/reload.bench.js); reuses a
 * cluster with `--kubeconfig PATH`, else starts and stops a control plane of its own.
 * Target (issue #5): p99 under 1 s on this machine. No assertions: numbers only.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubernetesListObject,
} from "@kubernetes/client-node";
import { loadConfig } from "../../operator/config.js";
import {
  POLICY_API_VERSION,
  POLICY_GROUP,
  POLICY_KIND,
  POLICY_PLURAL,
  POLICY_VERSION,
  type ImageSwapPolicy,
} from "../../operator/k8s/resources.js";
import { startOperator, type Operator } from "../../operator/operator.js";
import { createSilentLogger } from "../../webhook/telemetry/logger.js";
import { createMetrics } from "../../webhook/telemetry/metrics.js";
import { findRepoRoot, resolveBinDir } from "../cluster/bins.js";
import { startControlPlane, type ControlPlane } from "../cluster/control-plane.js";
import { readEndpoint } from "../cluster/test-env.js";
import { makeCertificate } from "../fixtures/admission/harness.js";
import { toMarkdown, type BenchTable } from "./swap.bench.js";

export interface ReloadBenchOptions {
  /** Admin kubeconfig of a running cluster; absent starts a control plane for the run. */
  kubeconfigPath?: string;
  /** Measured updates. @default 50 */
  updates?: number;
  /** Unreported updates first, so that both paths are measured warm. @default 5 */
  warmup?: number;
  /** Progress lines. @default stderr */
  progress?: (line: string) => void;
}

/** Milliseconds after the update request was sent. */
interface Sample {
  /** The apiserver's answer arrived: the update is accepted. */
  acceptedMs: number;
  /** The watch event arrived at the bare ListWatch (baseline). */
  watchMs: number;
  /** The operator's table answered with the new target. */
  tableMs: number;
}

const POLICY = "reload-bench";
const SOURCE = "reload-bench.example.com";
const IMAGE = `${SOURCE}/app:1`;
const COORDINATES = { group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL };

/** Resolves at the first call of `check` that returns true, with performance.now() of that call. */
function firstTime(
  subscribe: (listener: () => void) => void,
  check: () => boolean,
): Promise<number> {
  return new Promise(resolve => {
    let done = false;
    subscribe(() => {
      if (done || !check()) return;
      done = true;
      resolve(performance.now());
    });
  });
}

class Rig {
  private readonly custom: CustomObjectsApi;
  private readonly watchListeners = new Set<() => void>();
  private readonly publishListeners = new Set<() => void>();
  private listWatch: ListWatch<ImageSwapPolicy> | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly operator: Operator,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    operator.state.onPublish(() => this.publishListeners.forEach(l => l()));
  }

  async startBaseline(): Promise<void> {
    const path = `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${POLICY_PLURAL}`;
    const list = async () =>
      (await this.custom.listClusterCustomObject(
        COORDINATES,
      )) as KubernetesListObject<ImageSwapPolicy>;
    this.listWatch = new ListWatch(path, new Watch(this.kc), list, false);
    this.listWatch.on("update", () => this.watchListeners.forEach(l => l()));
    this.listWatch.on("add", () => this.watchListeners.forEach(l => l()));
    await this.listWatch.start();
  }

  async stop(): Promise<void> {
    await this.listWatch?.stop();
  }

  /** One update, timed from the moment its request is sent. */
  async update(target: string): Promise<Sample> {
    const seen = (): boolean => this.listWatch?.get(POLICY)?.spec?.default === target;
    const answers = (): boolean =>
      this.operator.state.current()?.table.swap(IMAGE).output === `${target}/app:1`;
    const watched = firstTime(l => this.watchListeners.add(l), seen);
    const served = firstTime(l => this.publishListeners.add(l), answers);

    const sentAt = performance.now();
    await this.apply(target);
    const acceptedAt = performance.now();
    const [watchAt, tableAt] = await Promise.all([watched, served]);
    this.watchListeners.clear();
    this.publishListeners.clear();
    return {
      acceptedMs: acceptedAt - sentAt,
      watchMs: watchAt - sentAt,
      tableMs: tableAt - sentAt,
    };
  }

  /** Removes what the run created, so that a reused cluster is left as it was. */
  async cleanUp(namespace: string): Promise<void> {
    await this.custom.deleteClusterCustomObject({ ...COORDINATES, name: POLICY });
    await this.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  }

  private async apply(target: string): Promise<void> {
    const body = {
      apiVersion: POLICY_API_VERSION,
      kind: POLICY_KIND,
      metadata: { name: POLICY },
      spec: { default: target, registries: [{ source: "docker.io", skip: true }] },
    };
    await this.custom.patchClusterCustomObject(
      { ...COORDINATES, name: POLICY, body, fieldManager: "reload-bench", force: true },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
  }
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

function stats(values: number[]): [number, number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return [round(percentile(sorted, 50)), round(percentile(sorted, 99)), round(sorted.at(-1) ?? 0)];
}

async function prepareCluster(kc: KubeConfig, kubeconfigPath: string): Promise<string> {
  const cluster = readEndpoint(kubeconfigPath, await resolveBinDir());
  const crd = join(findRepoRoot(), "crds", "imageswappolicies.k8s.twr.io.yaml");
  await cluster.kubectl(["apply", "--server-side", "--force-conflicts", "-f", crd]);
  await cluster.kubectl([
    "wait",
    "--for=condition=Established",
    "crd/imageswappolicies.k8s.twr.io",
  ]);
  const namespace = `reload-bench-${process.pid}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  return namespace;
}

async function startBenchOperator(kc: KubeConfig, namespace: string): Promise<Operator> {
  const flags = ["--port=0", "--metrics-port=0", "--bind-address=127.0.0.1"];
  flags.push(`--namespace=${namespace}`, "--manage-certificate=false");
  flags.push("--manage-webhook-config=false", "--identity=reload-bench");
  const { config } = loadConfig(flags, {});
  const certificate = await makeCertificate();
  return startOperator({
    config,
    log: createSilentLogger(),
    metrics: createMetrics(),
    kubeConfig: kc,
    certificate: { cert: certificate.cert, key: certificate.key },
  });
}

async function measure(rig: Rig, options: ReloadBenchOptions): Promise<Sample[]> {
  const updates = options.updates ?? 50;
  const warmup = options.warmup ?? 5;
  const progress = options.progress ?? (line => process.stderr.write(`${line}\n`));
  const samples: Sample[] = [];
  for (let i = 0; i < warmup + updates; i++) {
    const sample = await rig.update(`mirror${i}.example.com/proxy`);
    if (i >= warmup) samples.push(sample);
    if ((i + 1) % 10 === 0) progress(`reload bench: ${i + 1}/${warmup + updates} updates`);
  }
  return samples;
}

function toTable(samples: Sample[]): BenchTable {
  // The watch event often beats the PATCH answer home: such an update waited 0 after acceptance.
  const afterAccepted = samples.map(s => Math.max(0, s.tableMs - s.acceptedMs));
  const table = stats(afterAccepted);
  return {
    title: "Policy reload: ms until the swap table answers with an updated policy",
    columns: ["measured", "median ms", "p99 ms", "max ms"],
    rows: [
      [
        "apiserver: update request sent to answer received",
        ...stats(samples.map(s => s.acceptedMs)),
      ],
      [
        "baseline: request sent to watch event at a bare ListWatch",
        ...stats(samples.map(s => s.watchMs)),
      ],
      ["operator: request sent to table answering", ...stats(samples.map(s => s.tableMs))],
      ["operator: update accepted to table answering", ...table],
      [
        "operator share: table answering minus watch event",
        ...stats(samples.map(s => Math.max(0, s.tableMs - s.watchMs))),
      ],
    ],
    notes: [
      `${samples.length} server-side-apply updates of one policy, each awaited before the next.`,
      `Target: p99 from update accepted under 1000 ms; measured ${table[1]} ms.`,
      `A watch event that arrives before the apiserver's answer counts 0 after acceptance. Node ${process.version}.`,
    ],
  };
}

/** Runs the benchmark and returns its table; starts (and stops) a control plane if needed. */
export async function runReloadBench(options: ReloadBenchOptions = {}): Promise<BenchTable> {
  let plane: ControlPlane | undefined;
  if (!options.kubeconfigPath) plane = await startControlPlane();
  const kubeconfigPath = options.kubeconfigPath ?? plane!.kubeconfigPath;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  let operator: Operator | undefined;
  let rig: Rig | undefined;
  let namespace: string | undefined;
  try {
    namespace = await prepareCluster(kc, kubeconfigPath);
    operator = await startBenchOperator(kc, namespace);
    rig = new Rig(kc, operator);
    await rig.startBaseline();
    return toTable(await measure(rig, options));
  } finally {
    await rig?.stop();
    await operator?.stop();
    if (rig && namespace && !plane) await rig.cleanUp(namespace);
    await plane?.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { kubeconfig: { type: "string" }, updates: { type: "string" } },
  });
  const updates = values.updates === undefined ? undefined : Number(values.updates);
  const table = await runReloadBench({ kubeconfigPath: values.kubeconfig, updates });
  process.stdout.write(toMarkdown(table));
}
