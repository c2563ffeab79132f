import type {
  KubernetesListObject,
  KubernetesObject,
  V1Namespace,
  V1Secret,
} from "@kubernetes/client-node";
import type { ImageSwapPolicySpec } from "../../webhook/swap/types.js";
import type { Logger } from "../../webhook/telemetry/logger.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import type { BackoffOptions, Sleep } from "./backoff.js";
import { Informer } from "./informer.js";
import type { KubeClients } from "./kube-config.js";

/** The ImageSwapPolicy API coordinates; crds/ defines the same names. */
export const POLICY_GROUP = "k8s.twr.io";
export const POLICY_VERSION = "v1alpha1";
export const POLICY_PLURAL = "imageswappolicies";
export const POLICY_KIND = "ImageSwapPolicy";
export const POLICY_API_VERSION = `${POLICY_GROUP}/${POLICY_VERSION}`;

/** Server-side apply field manager for everything the operator writes. */
export const FIELD_MANAGER = "imageswap-operator";

/**
 * A metav1.Condition as it travels in JSON: custom objects are not deserialised by client-node,
 * so times stay RFC 3339 strings (second precision, as the apiserver writes them).
 */
export interface PolicyCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface ImageSwapPolicyStatus {
  observedGeneration?: number;
  rules?: { total: number; accepted: number; rejected: number };
  /** One line per rejected rule: `field: message`. */
  rejectedRules?: string[];
  conditions?: PolicyCondition[];
}

export interface ImageSwapPolicy extends KubernetesObject {
  spec?: ImageSwapPolicySpec;
  status?: ImageSwapPolicyStatus;
}

/** What every informer factory needs besides its resource. */
export interface InformerDeps {
  clients: KubeClients;
  log: Logger;
  metrics: Metrics;
  backoff?: BackoffOptions;
  sleep?: Sleep;
}

function baseOptions(deps: InformerDeps): Omit<InformerDeps, "clients"> & {
  kubeConfig: KubeClients["kubeConfig"];
} {
  return {
    kubeConfig: deps.clients.kubeConfig,
    log: deps.log,
    metrics: deps.metrics,
    backoff: deps.backoff,
    sleep: deps.sleep,
  };
}

/** Every ImageSwapPolicy in the cluster (the kind is cluster-scoped). */
export function createPolicyInformer(deps: InformerDeps): Informer<ImageSwapPolicy> {
  const coordinates = { group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL };
  return new Informer<ImageSwapPolicy>({
    ...baseOptions(deps),
    resource: POLICY_PLURAL,
    path: `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${POLICY_PLURAL}`,
    list: async () =>
      (await deps.clients.custom.listClusterCustomObject(
        coordinates,
      )) as KubernetesListObject<ImageSwapPolicy>,
  });
}

/**
 * Every Namespace, for its labels. Not narrowed by the opt-in label: clusters hold few
 * namespaces, and a full cache lets the view tell "seen, not opted in" from "not seen yet".
 */
export function createNamespaceInformer(deps: InformerDeps): Informer<V1Namespace> {
  return new Informer<V1Namespace>({
    ...baseOptions(deps),
    resource: "namespaces",
    path: "/api/v1/namespaces",
    list: () => deps.clients.core.listNamespace(),
  });
}

/**
 * One Secret by name, e.g. the serving certificate. The field selector keeps other Secrets (and
 * their data) out of the process entirely.
 */
export function createSecretInformer(
  deps: InformerDeps,
  namespace: string,
  name: string,
): Informer<V1Secret> {
  const fieldSelector = `metadata.name=${name}`;
  return new Informer<V1Secret>({
    ...baseOptions(deps),
    resource: "secrets",
    path: `/api/v1/namespaces/${namespace}/secrets`,
    fieldSelector,
    list: () => deps.clients.core.listNamespacedSecret({ namespace, fieldSelector }),
  });
}
