import type {
  V1MutatingWebhook,
  V1MutatingWebhookConfiguration,
  V1OwnerReference,
  V1RuleWithOperations,
} from "@kubernetes/client-node";

/**
 * The MutatingWebhookConfiguration as the leader applies it: a pure function of the options, the
 * CA bundle and the break-glass switch. Server-side apply makes it a declaration of the fields we
 * own; fields other managers set (a GitOps tool's labels, the break-glass annotation) stay.
 */

export const WEBHOOK_NAME = "imageswap.webhook.k8s.twr.io";
/** Set to "true" on the configuration to stop intercepting cluster-wide; see docs/break-glass.md. */
export const BREAK_GLASS_ANNOTATION = "k8s.twr.io/imageswap-break-glass";
export const MUTATE_PATH = "/mutate";
/** The Service port the apiserver calls; the chart's Service forwards it to the HTTPS port. */
export const SERVICE_PORT = 443;
// The namespaces' own name label, set by the apiserver on every namespace since Kubernetes 1.21.
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export interface WebhookConfigOptions {
  /** @default "imageswap-webhook" */
  name: string;
  /** The operator's namespace: never intercepted, and where its Service lives. */
  namespace: string;
  serviceName: string;
  /** Call this URL instead of the Service (local control plane, out-of-cluster runs). */
  url?: string;
  failurePolicy: "Fail" | "Ignore";
  timeoutSeconds: number;
  /** Namespaces with `<namespaceLabel>=enabled` are intercepted. */
  namespaceLabel: string;
  /** Pods with `<podLabel>=disabled` are not sent to the webhook. */
  podLabel: string;
  /** Also intercept the workload kinds that carry a pod template. */
  mutateWorkloads: boolean;
  /** Owner whose deletion garbage-collects the configuration (the chart's ClusterRole). */
  owner?: { name: string; uid: string };
}

/** Never intercepted, whatever the labels say: a fail-closed webhook must not block itself. */
export function protectedNamespaces(operatorNamespace: string): string[] {
  return [...new Set([operatorNamespace, "kube-system"])];
}

/** True when a person has pulled the break-glass switch on the configuration. */
export function isBreakGlass(config: V1MutatingWebhookConfiguration | undefined): boolean {
  return config?.metadata?.annotations?.[BREAK_GLASS_ANNOTATION] === "true";
}

/**
 * The configuration to apply. `caBundle` is PEM (it is base64-encoded here); `intercept: false`
 * (break glass) applies no webhook at all, which removes ours from the live object.
 */
export function buildWebhookConfiguration(
  options: WebhookConfigOptions,
  caBundle: string | undefined,
  intercept: boolean,
): V1MutatingWebhookConfiguration {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: {
      name: options.name,
      labels: {
        "app.kubernetes.io/name": "imageswap",
        "app.kubernetes.io/managed-by": "imageswap-operator",
      },
      ownerReferences: options.owner ? [ownerReference(options.owner)] : undefined,
    },
    webhooks: intercept ? [buildWebhook(options, caBundle)] : [],
  };
}

function buildWebhook(
  options: WebhookConfigOptions,
  caBundle: string | undefined,
): V1MutatingWebhook {
  const caField = caBundle ? { caBundle: Buffer.from(caBundle, "utf8").toString("base64") } : {};
  const target = options.url
    ? { url: options.url }
    : {
        service: {
          namespace: options.namespace,
          name: options.serviceName,
          path: MUTATE_PATH,
          port: SERVICE_PORT,
        },
      };

  return {
    name: WEBHOOK_NAME,
    clientConfig: { ...target, ...caField },
    rules: buildRules(options.mutateWorkloads),
    namespaceSelector: {
      matchExpressions: [
        { key: options.namespaceLabel, operator: "In", values: ["enabled"] },
        {
          key: NAMESPACE_NAME_LABEL,
          operator: "NotIn",
          values: protectedNamespaces(options.namespace),
        },
      ],
    },
    objectSelector: {
      matchExpressions: [{ key: options.podLabel, operator: "NotIn", values: ["disabled"] }],
    },
    failurePolicy: options.failurePolicy,
    matchPolicy: "Equivalent",
    timeoutSeconds: options.timeoutSeconds,
    // Another webhook may add a container after ours ran; IfNeeded lets us swap its image too.
    reinvocationPolicy: "IfNeeded",
    sideEffects: "None",
    admissionReviewVersions: ["v1"],
  };
}

function buildRules(mutateWorkloads: boolean): V1RuleWithOperations[] {
  const rule = (apiGroups: string[], resources: string[]): V1RuleWithOperations => ({
    operations: ["CREATE", "UPDATE"],
    apiGroups,
    apiVersions: ["v1"],
    resources,
    scope: "Namespaced",
  });
  const rules = [rule([""], ["pods", "pods/ephemeralcontainers"])];
  if (!mutateWorkloads) return rules;
  return [
    ...rules,
    rule([""], ["replicationcontrollers", "podtemplates"]),
    rule(["apps"], ["deployments", "statefulsets", "daemonsets", "replicasets"]),
    rule(["batch"], ["jobs", "cronjobs"]),
  ];
}

function ownerReference(owner: { name: string; uid: string }): V1OwnerReference {
  // NOTE: no blockOwnerDeletion: setting it needs delete rights on the owner, which we lack.
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    name: owner.name,
    uid: owner.uid,
  };
}

/**
 * The URL the apiserver should call. A `url` whose port is 0 gets the port the server really
 * listens on, so that `--port 0 --webhook-url https://127.0.0.1:0/mutate` works.
 */
export function resolveWebhookUrl(
  url: string | undefined,
  listeningPort: number | undefined,
): string | undefined {
  if (url === undefined || url === "") return undefined;
  const parsed = new URL(url);
  if (parsed.port !== "0" || listeningPort === undefined) return url;
  parsed.port = String(listeningPort);
  return parsed.toString();
}
