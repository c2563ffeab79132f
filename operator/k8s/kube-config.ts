import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  AdmissionregistrationV1Api,
} from "@kubernetes/client-node";
import { ConfigError } from "../../webhook/errors.js";

export interface KubeConfigOptions {
  /** Path to a kubeconfig file; absent means the in-cluster ServiceAccount configuration. */
  kubeconfig?: string;
}

/**
 * Builds the client configuration from a kubeconfig file or, without one, from the Pod's
 * ServiceAccount mount. Throws a ConfigError when neither is usable.
 *
 * NOTE: `loadFromCluster` reads KUBERNETES_SERVICE_HOST/PORT itself; that library read is the one
 * exception to config.ts owning the environment, and it is the contract every in-cluster client
 * follows.
 */
export function loadKubeConfig(options: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromCluster();
  } catch (err) {
    const source = options.kubeconfig ? `kubeconfig ${options.kubeconfig}` : "in-cluster config";
    throw new ConfigError(`cannot load ${source}: ${(err as Error).message}`, { cause: err });
  }

  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    const source = options.kubeconfig ?? "in-cluster config";
    throw new ConfigError(`no cluster server in ${source} (is KUBERNETES_SERVICE_HOST set?)`);
  }
  return kc;
}

/** The typed API clients the operator uses, made once from one KubeConfig. */
export interface KubeClients {
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  readonly admission: AdmissionregistrationV1Api;
}

export function createKubeClients(kubeConfig: KubeConfig): KubeClients {
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(CoreV1Api),
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
    admission: kubeConfig.makeApiClient(AdmissionregistrationV1Api),
  };
}
