import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiException, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { ConfigError, TerminalError } from "../../webhook/errors.js";
import { ClusterAccess } from "./cluster-access.js";
import { attachControlPlane, type ControlPlane } from "./control-plane.js";

/**
 * What integration and e2e suites use to reach the control plane that the jest global setup
 * started (or reused). The setup hands over three variables; the token is read from the
 * kubeconfig file, never passed through the environment.
 */

/** Admin kubeconfig of the cluster under test (set by the global setup, or by you to reuse). */
export const ENV_KUBECONFIG = "IMAGESWAP_TEST_KUBECONFIG";
/** Directory of the built binaries. */
export const ENV_BIN_DIR = "IMAGESWAP_TEST_BIN_DIR";
/** Control-plane directory with `state.json`; unset when the cluster is not one of ours. */
export const ENV_CLUSTER_DIR = "IMAGESWAP_TEST_CLUSTER_DIR";

let cached: ClusterAccess | undefined;

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new ConfigError(`${name} is unset: run this suite in the jest "integration" project`);
  }
  return value;
}

/** Reads server, CA file and token of the current context of a token kubeconfig. */
export function readEndpoint(kubeconfigPath: string, binDir: string): ClusterAccess {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster?.caFile || !user?.token) {
    throw new ConfigError(`${kubeconfigPath} needs a certificate-authority file and a token`);
  }
  return new ClusterAccess({
    kubeconfigPath,
    server: cluster.server,
    caFile: cluster.caFile,
    token: user.token,
    binDir,
  });
}

/** The cluster under test: endpoint fields, `kubectl(args)`, `helm(args)`, `request(...)`. */
export function testCluster(): ClusterAccess {
  cached ??= readEndpoint(requireEnv(ENV_KUBECONFIG), requireEnv(ENV_BIN_DIR));
  return cached;
}

/**
 * The control plane itself, for outage tests (`stopApiserver`, `startApiserver`,
 * `compactEtcd`, `expireWatches`). Suites that use it must leave it running when they end.
 * @throws ConfigError when the cluster under test was not started by this harness
 */
export function testControlPlane(): ControlPlane {
  return attachControlPlane(requireEnv(ENV_CLUSTER_DIR));
}

/** A client-node KubeConfig loaded from the admin kubeconfig. */
export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testCluster().kubeconfigPath);
  return kc;
}

export interface WaitOptions {
  /** @default 30_000 */
  timeoutMs?: number;
  /** @default 200 */
  intervalMs?: number;
  /** Names the awaited condition in the timeout error. @default "condition" */
  what?: string;
}

/**
 * Calls `fn` until it returns a truthy value and resolves to it. A throw counts as "not yet";
 * the timeout error carries the last one as its cause.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 30_000, intervalMs = 200, what = "condition" } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) {
        return value as NonNullable<T>;
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new TerminalError(`${what} not met after ${timeoutMs} ms`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

/**
 * Creates a namespace named `<prefix>-<random>` with `labels` and resolves to its name once
 * KCM has made its `default` ServiceAccount (Pods created earlier are refused).
 */
export async function newTestNamespace(
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = `${prefix.toLowerCase().slice(0, 50)}-${randomBytes(4).toString("hex")}`;
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels } } });

  await waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace: name }), {
    what: `default ServiceAccount in ${name}`,
  });
  return name;
}

/** Starts deleting a namespace (does not wait for it to go); a missing one is fine. */
export async function deleteTestNamespace(name: string): Promise<void> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  try {
    await core.deleteNamespace({ name });
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 404)) {
      throw err;
    }
  }
}
