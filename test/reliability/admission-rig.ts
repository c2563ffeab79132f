import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Pod,
} from "@kubernetes/client-node";
import {
  POLICY_API_VERSION,
  POLICY_GROUP,
  POLICY_KIND,
  POLICY_PLURAL,
  POLICY_VERSION,
  type ImageSwapPolicy,
} from "../../operator/k8s/resources.js";
import { compile, type ImageSwapPolicySpec, type SwapTable } from "../../webhook/swap/index.js";
import { findRepoRoot } from "../cluster/bins.js";
import type { ClusterAccess } from "../cluster/cluster-access.js";
import { waitFor } from "../cluster/test-env.js";
import { startOperatorProcess, type OperatorProcess } from "../demo/operator-process.js";

/**
 * The compiled `imageswap operator` in a child process, owning its certificate and its
 * MutatingWebhookConfiguration (failurePolicy Fail) on a real apiserver, with one policy, a
 * namespace labelled enabled and an unlabelled one for the baseline. Works from a test (through
 * test-env) and from the benchmark (any admin kubeconfig); `stop()` leaves the cluster as it was.
 */

export const NAMESPACE_LABEL = "k8s.twr.io/imageswap";

/** Docker Hub, GHCR and Quay to one mirror. */
export const RIG_POLICY: ImageSwapPolicySpec = {
  registries: [
    { source: "docker.io/library", target: "mirror.rig.example/dockerhub/library" },
    { source: "docker.io", target: "mirror.rig.example/dockerhub" },
    { source: "ghcr.io", target: "mirror.rig.example/ghcr" },
    { source: "quay.io", target: "mirror.rig.example/quay" },
  ],
};

export interface AdmissionRig {
  operator: OperatorProcess;
  /** Labelled enabled: the apiserver calls the webhook for its Pods. */
  namespace: string;
  /** Not labelled: the same Pods admitted without our webhook (the baseline). */
  baselineNamespace: string;
  operatorNamespace: string;
  webhookConfigName: string;
  /** The image the engine swaps `image` to under RIG_POLICY. */
  expected(image: string): string;
  /** A three-container Pod (one init container) named `name`. */
  pod(name: string): V1Pod;
  stop(): Promise<void>;
}

export interface RigOptions {
  cluster: ClusterAccess;
  kubeConfig: KubeConfig;
  /** Extra IMAGESWAP_* variables for the operator. */
  env?: Record<string, string>;
  onOutput?: (chunk: string) => void;
}

const COORDINATES = { group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL };
const IMAGES = { init: "busybox:1.36", web: "nginx:1.25", agent: "ghcr.io/acme/agent:2.1" };

async function createNamespace(core: CoreV1Api, name: string, labels = {}): Promise<void> {
  await core.createNamespace({ body: { metadata: { name, labels } } });
  // Pods are refused until KCM has made the namespace's default ServiceAccount.
  await waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace: name }), {
    what: `default ServiceAccount in ${name}`,
  });
}

async function installCrd(cluster: ClusterAccess): Promise<void> {
  const crd = join(findRepoRoot(), "crds", "imageswappolicies.k8s.twr.io.yaml");
  await cluster.kubectl(["apply", "--server-side", "--force-conflicts", "-f", crd]);
  const established = "--for=condition=Established";
  await cluster.kubectl(["wait", established, "crd/imageswappolicies.k8s.twr.io"]);
}

function podOf(name: string): V1Pod {
  return {
    metadata: { name, labels: { app: "rig" } },
    spec: {
      initContainers: [{ name: "init", image: IMAGES.init }],
      containers: [
        { name: "web", image: IMAGES.web },
        { name: "agent", image: IMAGES.agent },
      ],
    },
  };
}

function tableOf(spec: ImageSwapPolicySpec): SwapTable {
  return compile([{ name: "rig", spec }], 1).table;
}

/** Waits until a dry-run create in `namespace` comes back swapped: the MWC is in effect. */
async function waitUntilSwapping(kc: KubeConfig, namespace: string, expected: string) {
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(
    async () => {
      const body = podOf("probe");
      const pod = await core.createNamespacedPod({ namespace, body, dryRun: "All" });
      return pod.spec?.containers[0]?.image === expected;
    },
    { what: `webhook swapping in ${namespace}`, timeoutMs: 60_000 },
  );
}

/** Sets everything up; on failure, what was made is removed before the error propagates. */
export async function startAdmissionRig(options: RigOptions): Promise<AdmissionRig> {
  const suffix = randomBytes(3).toString("hex");
  const kc = options.kubeConfig;
  const core = kc.makeApiClient(CoreV1Api);
  const names = {
    operatorNamespace: `imageswap-rig-${suffix}`,
    namespace: `rig-app-${suffix}`,
    baselineNamespace: `rig-baseline-${suffix}`,
    webhookConfigName: `imageswap-rig-${suffix}`,
    policy: `rig-${suffix}`,
  };
  const cleanup = new Cleanup(kc, names);
  try {
    await installCrd(options.cluster);
    await createNamespace(core, names.operatorNamespace);
    await createNamespace(core, names.namespace, { [NAMESPACE_LABEL]: "enabled" });
    await createNamespace(core, names.baselineNamespace);
    await applyPolicy(kc, names.policy, RIG_POLICY);
    const operator = await startOperatorProcess({
      kubeconfigPath: options.cluster.kubeconfigPath,
      onOutput: options.onOutput,
      env: {
        IMAGESWAP_NAMESPACE: names.operatorNamespace,
        IMAGESWAP_WEBHOOK_CONFIG_NAME: names.webhookConfigName,
        IMAGESWAP_FAILURE_POLICY: "Fail",
        IMAGESWAP_EXTRA_SANS: "127.0.0.1",
        ...options.env,
      },
    });
    cleanup.operator = operator;
    await operator.waitReady();
    const table = tableOf(RIG_POLICY);
    const expected = (image: string): string => table.swap(image).output;
    await waitUntilSwapping(kc, names.namespace, expected(IMAGES.web));
    return { ...names, operator, expected, pod: podOf, stop: () => cleanup.run() };
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}

async function applyPolicy(kc: KubeConfig, name: string, spec: ImageSwapPolicySpec) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const body: ImageSwapPolicy = {
    apiVersion: POLICY_API_VERSION,
    kind: POLICY_KIND,
    metadata: { name },
    spec,
  };
  await custom.createClusterCustomObject({ ...COORDINATES, body });
}

/** Undoes the rig; the fail-closed configuration goes first, so it can never outlive a run. */
class Cleanup {
  operator: OperatorProcess | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly names: Record<string, string>,
  ) {}

  async run(): Promise<void> {
    await this.operator?.stop();
    const admission = this.kc.makeApiClient(AdmissionregistrationV1Api);
    const custom = this.kc.makeApiClient(CustomObjectsApi);
    const core = this.kc.makeApiClient(CoreV1Api);
    const ignore = (): void => undefined;
    const name = this.names.webhookConfigName as string;
    await admission.deleteMutatingWebhookConfiguration({ name }).catch(ignore);
    await custom
      .deleteClusterCustomObject({ ...COORDINATES, name: this.names.policy! })
      .catch(ignore);
    for (const key of ["namespace", "baselineNamespace", "operatorNamespace"])
      await core.deleteNamespace({ name: this.names[key]! }).catch(ignore);
  }
}
