import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { ORIGINAL_IMAGES_ANNOTATION } from "../../webhook/admission/patch.js";
import { kubeConfig, testCluster } from "../cluster/test-env.js";
import { scrapeMetric } from "../e2e/flow-support.js";
import { startAdmissionRig, type AdmissionRig } from "./admission-rig.js";
import { keyMaterialFindings } from "./log-scan.js";
import { createPods, formatTable, summarize, type PodLoadResult } from "./pod-load.js";

// 500 Pods created through the real apiserver by 20 concurrent clients into a namespace where the
// compiled operator's webhook (failurePolicy Fail) is registered: every one must be admitted and
// swapped, with no webhook error. The same load into an unlabelled namespace, in the same run,
// is the baseline the latency table is read against. Numbers are printed, never asserted.

const PODS = 500;
const CLIENTS = 20;
const WARMUP = 40;

function imagesOf(pod: V1Pod): string[] {
  const spec = pod.spec!;
  return [...(spec.initContainers ?? []), ...spec.containers].map(c => c.image!);
}

describe("admission under load through the apiserver", () => {
  let rig: AdmissionRig;
  let load: PodLoadResult;
  let baseline: PodLoadResult;

  const run = (namespace: string, prefix: string, total: number): Promise<PodLoadResult> =>
    createPods({
      kubeConfig: kubeConfig(),
      namespace,
      total,
      clients: CLIENTS,
      pod: n => rig.pod(`${prefix}-${n}`),
    });

  beforeAll(async () => {
    rig = await startAdmissionRig({ cluster: testCluster(), kubeConfig: kubeConfig() });
    // Warm both paths (connections, the webhook's JIT) before anything is measured.
    await run(rig.namespace, "warm", WARMUP);
    await run(rig.baselineNamespace, "warm", WARMUP);
  }, 180_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it(`admits and swaps ${PODS} Pods from ${CLIENTS} concurrent clients without an error`, async () => {
    load = await run(rig.namespace, "load", PODS);
    baseline = await run(rig.baselineNamespace, "load", PODS);

    expect(load.failures).toEqual([]);
    expect(load.created).toHaveLength(PODS);
    const want = imagesOf(rig.pod("x")).map(image => rig.expected(image));
    expect(want).not.toEqual(imagesOf(rig.pod("x")));
    for (const pod of load.created) {
      expect(imagesOf(pod)).toEqual(want);
      expect(pod.metadata?.annotations?.[ORIGINAL_IMAGES_ANNOTATION]).toContain("nginx:1.25");
    }
    expect(baseline.failures).toEqual([]);
    expect(baseline.created.every(pod => imagesOf(pod)[1] === "nginx:1.25")).toBe(true);
  }, 300_000);

  it("stores every Pod swapped, and the webhook counted each one and no error", async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const stored = await core.listNamespacedPod({ namespace: rig.namespace });
    const port = rig.operator.metricsPort;
    const count = (result: string): Promise<number> =>
      scrapeMetric(port, "imageswap_admission_requests_total", { result });

    expect(stored.items).toHaveLength(PODS + WARMUP);
    const web = rig.expected("nginx:1.25");
    expect(stored.items.every(pod => pod.spec?.containers[0]?.image === web)).toBe(true);
    // Probes of the rig's readiness wait are dry runs: they count too, so at least.
    expect(await count("patched")).toBeGreaterThanOrEqual(PODS + WARMUP);
    expect(await count("error")).toBe(0);
    expect(await count("invalid")).toBe(0);
  });

  it("reports the latency distribution against the no-webhook baseline", async () => {
    const port = rig.operator.metricsPort;
    const seconds = await scrapeMetric(port, "imageswap_admission_duration_seconds_sum");
    const handled = await scrapeMetric(port, "imageswap_admission_duration_seconds_count");
    const row = (label: string, r: PodLoadResult): Array<string | number> => {
      const s = summarize(r.latenciesMs);
      const rate = Math.round((r.created.length / r.wallMs) * 1000);
      return [label, s.count, s.p50, s.p90, s.p99, s.max, s.mean, rate];
    };

    console.log(
      `Pod create latency, ${CLIENTS} clients, ms (webhook's own mean: ` +
        `${((seconds / Math.max(handled, 1)) * 1000).toFixed(2)} ms over ${handled} reviews)\n` +
        formatTable(
          ["path", "pods", "p50", "p90", "p99", "max", "mean", "pods/s"],
          [row("through imageswap", load), row("baseline: no webhook", baseline)],
        ),
    );

    expect(summarize(load.latenciesMs).count).toBe(PODS);
  });

  it("logs no key material while serving", async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const secret = await core.readNamespacedSecret({
      namespace: rig.operatorNamespace,
      name: "imageswap-tls",
    });
    const key = Buffer.from(secret.data!["tls.key"]!, "base64").toString("utf8");

    expect(rig.operator.output()).toContain("operator started");
    expect(keyMaterialFindings(rig.operator.output(), [key, testCluster().token])).toEqual([]);
  });
});
