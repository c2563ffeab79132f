import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { CoordinationV1Api, CustomObjectsApi, type V1Lease } from "@kubernetes/client-node";
import { loadConfig } from "../../operator/config.js";
import type { ImageSwapPolicy } from "../../operator/k8s/resources.js";
import { POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION } from "../../operator/k8s/resources.js";
import { startOperator, type Operator } from "../../operator/operator.js";
import type { ImageSwapPolicySpec } from "../../webhook/swap/types.js";
import { createMetrics, type Metrics } from "../../webhook/telemetry/metrics.js";
import {
  captureLogger,
  makeCertificate,
  patchOf,
  post,
  type TestCertificate,
} from "../fixtures/admission/harness.js";
import { kubeConfig, testCluster, waitFor } from "../cluster/test-env.js";

/**
 * What the operator integration suites share: the CRD from crds/, an in-process operator on
 * 127.0.0.1 talking to the real apiserver, kubectl for what a user would do, and HTTPS
 * admission requests to the operator's own webhook server.
 */

export const CRD_FILE = fileURLToPath(
  new URL("../../crds/imageswappolicies.k8s.twr.io.yaml", import.meta.url),
);
export const NAMESPACE_LABEL = "k8s.twr.io/imageswap";

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** Applies the CRD and waits until the apiserver serves it. */
export async function installCrd(): Promise<void> {
  const cluster = testCluster();
  await cluster.kubectl(["apply", "--server-side", "--force-conflicts", "-f", CRD_FILE]);
  await cluster.kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd/imageswappolicies.k8s.twr.io",
  ]);
}

export interface TestOperator {
  operator: Operator;
  metrics: Metrics;
  lines: Array<Record<string, unknown>>;
  certificate: TestCertificate;
}

export interface TestOperatorOptions {
  /** Holds the Lease. */
  namespace: string;
  identity?: string;
  /** Extra flags, e.g. lease timings. */
  flags?: string[];
  releaseLeaseOnStop?: boolean;
}

/** An operator in this process: own webhook on a free port, no certificate/MWC management. */
export async function startTestOperator(options: TestOperatorOptions): Promise<TestOperator> {
  const flags = [
    "--port=0",
    "--metrics-port=0",
    "--bind-address=127.0.0.1",
    `--namespace=${options.namespace}`,
    `--identity=${options.identity ?? uniqueName("replica")}`,
    "--manage-certificate=false",
    "--manage-webhook-config=false",
    "--lease-duration-sec=4",
    "--renew-deadline-sec=3",
    "--retry-period-sec=1",
    ...(options.flags ?? []),
  ];
  const { config } = loadConfig(flags, {});
  const { log, lines } = captureLogger("debug");
  const metrics = createMetrics();
  const certificate = await makeCertificate();
  const operator = await startOperator({
    config,
    log,
    metrics,
    kubeConfig: kubeConfig(),
    certificate: { cert: certificate.cert, key: certificate.key },
    informerBackoff: { initialMs: 200, maxMs: 2000 },
    releaseLeaseOnStop: options.releaseLeaseOnStop,
  });
  return { operator, metrics, lines, certificate };
}

export function policyManifest(name: string, spec: ImageSwapPolicySpec): string {
  return JSON.stringify({
    apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`,
    kind: "ImageSwapPolicy",
    metadata: { name },
    spec,
  });
}

/** `kubectl apply` as a user would; rejects with kubectl's message when the apiserver refuses. */
export function applyPolicy(name: string, spec: ImageSwapPolicySpec): Promise<string> {
  return testCluster().kubectl(["apply", "-f", "-"], { input: policyManifest(name, spec) });
}

export async function deletePolicies(names: string[]): Promise<void> {
  if (names.length === 0) return;
  await testCluster().kubectl(["delete", POLICY_PLURAL, "--ignore-not-found", ...names]);
}

export async function readPolicy(name: string): Promise<ImageSwapPolicy> {
  const custom = kubeConfig().makeApiClient(CustomObjectsApi);
  const coordinates = { group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL };
  return (await custom.getClusterCustomObject({ ...coordinates, name })) as ImageSwapPolicy;
}

export function condition(
  policy: ImageSwapPolicy,
  type: string,
): { status: string; reason: string; message: string } | undefined {
  return policy.status?.conditions?.find(c => c.type === type);
}

/** Waits until the policy's status describes `generation` and its Ready is `ready`. */
export function waitForStatus(
  name: string,
  generation: number,
  ready: "True" | "False",
): Promise<ImageSwapPolicy> {
  return waitFor(
    async () => {
      const policy = await readPolicy(name);
      const matches =
        policy.status?.observedGeneration === generation &&
        condition(policy, "Ready")?.status === ready;
      return matches ? policy : undefined;
    },
    { what: `status of ${name} at generation ${generation} with Ready=${ready}` },
  );
}

/** What the operator's table answers for an image in a namespace with `labels`. */
export function tableAnswer(
  op: Operator,
  image: string,
  labels: Record<string, string> = {},
): string | undefined {
  return op.state.current()?.table.swap(image, labels).output;
}

let uidCount = 0;

function podReview(namespace: string, image: string): unknown {
  uidCount += 1;
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `00000000-0000-4000-8000-${String(uidCount).padStart(12, "0")}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace,
      operation: "CREATE",
      userInfo: { username: "operator-test" },
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "app", namespace },
        spec: { containers: [{ name: "app", image }] },
      },
    },
  };
}

/**
 * Asks the operator's webhook over HTTPS to admit a one-container Pod; resolves to the image the
 * Pod would run (the input when nothing was patched).
 */
export async function admittedImage(
  t: TestOperator,
  namespace: string,
  image: string,
): Promise<string> {
  const result = await post(t.operator.server.port, podReview(namespace, image), {
    ca: t.certificate.ca,
  });
  if (result.status !== 200 || result.json?.response?.allowed !== true) {
    throw new Error(`webhook answered ${result.status}: ${result.text.slice(0, 200)}`);
  }
  const op = patchOf(result).find(o => o.path === "/spec/containers/0/image");
  return (op?.value as string | undefined) ?? image;
}

export async function readLease(namespace: string, name: string): Promise<V1Lease> {
  const coordination = kubeConfig().makeApiClient(CoordinationV1Api);
  return coordination.readNamespacedLease({ name, namespace });
}

/** Stops what is given, ignoring those already stopped. */
export async function stopAll(operators: Array<TestOperator | undefined>): Promise<void> {
  await Promise.all(operators.map(t => t?.operator.stop()));
}

/** Adds the operator's last log lines to a failure, to tell a slow cluster from a stuck cache. */
export async function withLogTail<T>(t: TestOperator | undefined, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const tail = (t?.lines ?? [])
      .slice(-30)
      .map(l => JSON.stringify({ ...l, timestamp: undefined }));
    throw new Error(`${(err as Error).message}\noperator log tail:\n${tail.join("\n")}`, {
      cause: err,
    });
  }
}
