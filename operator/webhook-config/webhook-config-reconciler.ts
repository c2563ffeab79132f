import type { V1MutatingWebhookConfiguration, V1Secret } from "@kubernetes/client-node";
import { PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions } from "@kubernetes/client-node";
import { RetryableError } from "../../webhook/errors.js";
import type { Logger } from "../../webhook/telemetry/logger.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import { readPems } from "../certs/tls-secret.js";
import type { ChangeSource } from "../certs/single-object-controller.js";
import { createSingleObjectController } from "../certs/single-object-controller.js";
import type { Config } from "../config.js";
import type { ReconcileOutcome } from "../controller/controller.js";
import type { Runnable } from "../controller/runnable.js";
import { callApi } from "../k8s/api-errors.js";
import type { ReadCache } from "../k8s/informer.js";
import type { KubeClients } from "../k8s/kube-config.js";
import { FIELD_MANAGER } from "../k8s/resources.js";
import type { WebhookConfigOptions } from "./webhook-configuration.js";
import {
  buildWebhookConfiguration,
  isBreakGlass,
  resolveWebhookUrl,
} from "./webhook-configuration.js";

export type WebhookConfigConfig = Pick<
  Config,
  | "webhookConfigName"
  | "namespace"
  | "serviceName"
  | "webhookUrl"
  | "failurePolicy"
  | "timeoutSeconds"
  | "namespaceLabel"
  | "podLabel"
  | "mutateWorkloads"
  | "webhookConfigOwner"
  | "manageCertificate"
  | "tlsSecretName"
>;

export interface WebhookConfigReconcilerDeps {
  config: WebhookConfigConfig;
  clients: KubeClients;
  /** Informer over the TLS Secret, whose `ca.crt` becomes the caBundle. */
  secrets: ReadCache<V1Secret> & ChangeSource;
  /** Informer over the one configuration: drift and the break-glass switch show up here. */
  webhookConfigs: ReadCache<V1MutatingWebhookConfiguration> & ChangeSource;
  /** The port the webhook server listens on, for a `webhookUrl` with port 0. */
  listeningPort?: number;
  log: Logger;
  metrics: Metrics;
}

/** How often to look again while the informers have not listed yet. */
export const SYNC_WAIT_MS = 500;
/** Drift shows up as a watch event; this re-apply is only a safety net. */
export const RESYNC_MS = 10 * 60 * 1000;

/**
 * The leader-only reconciler of the MutatingWebhookConfiguration: applies the whole desired
 * object with server-side apply (`force`, so drift in our fields is taken back) on every change
 * of the configuration or the Secret. While the break-glass annotation is set it applies no
 * webhook, and it never removes the annotation: only a person does.
 */
export function createWebhookConfigReconciler(deps: WebhookConfigReconcilerDeps): Runnable {
  const log = deps.log.child({ component: "webhook-config" });
  const state = { breakGlass: false, resourceVersion: undefined as string | undefined };
  return createSingleObjectController({
    name: "webhook-config",
    key: deps.config.webhookConfigName,
    reconcile: () => reconcileWebhookConfig({ ...deps, log }, state),
    triggers: [deps.secrets, deps.webhookConfigs],
    log,
    metrics: deps.metrics,
  });
}

/** What a reconcile remembers for its logs: transitions are logged once, not on every pass. */
export interface WebhookConfigMemory {
  breakGlass: boolean;
  resourceVersion: string | undefined;
}

/** One pass: read the caches, build the desired object, apply it. Exported for tests. */
export async function reconcileWebhookConfig(
  deps: WebhookConfigReconcilerDeps,
  memory: WebhookConfigMemory = { breakGlass: false, resourceVersion: undefined },
): Promise<ReconcileOutcome> {
  const { config, log } = deps;
  // WARNING: an unsynced cache reads as "no configuration", hence "no break glass": applying
  // then would undo a switch a person pulled while no operator ran.
  if (!deps.webhookConfigs.hasSynced() || !deps.secrets.hasSynced()) {
    return { requeueAfterMs: SYNC_WAIT_MS };
  }
  const current = deps.webhookConfigs.get(config.webhookConfigName);
  const breakGlass = isBreakGlass(current);
  const secret = deps.secrets.get(config.tlsSecretName, config.namespace);
  const caBundle = caBundleOf(secret);
  // A webhook without a CA to trust would fail every call. Only a user's own Secret may lack
  // ca.crt (a certificate from a public CA); the Secret's watch event brings us back.
  if (
    !breakGlass &&
    (secret === undefined || (caBundle === undefined && config.manageCertificate))
  ) {
    log.info("webhook configuration waits for the certificate", { name: config.tlsSecretName });
    return undefined;
  }

  const owner = config.webhookConfigOwner
    ? await readOwner(deps.clients, config.webhookConfigOwner)
    : undefined;
  const desired = buildWebhookConfiguration(options(deps, owner), caBundle, !breakGlass);
  const applied = await applyConfiguration(deps.clients, desired);

  logTransitions(log, memory, { breakGlass, applied, hasCaBundle: caBundle !== undefined });
  return { requeueAfterMs: RESYNC_MS };
}

function options(
  deps: WebhookConfigReconcilerDeps,
  owner: WebhookConfigOptions["owner"],
): WebhookConfigOptions {
  const { config } = deps;
  return {
    name: config.webhookConfigName,
    namespace: config.namespace,
    serviceName: config.serviceName,
    url: resolveWebhookUrl(config.webhookUrl, deps.listeningPort),
    failurePolicy: config.failurePolicy === "Ignore" ? "Ignore" : "Fail",
    timeoutSeconds: config.timeoutSeconds,
    namespaceLabel: config.namespaceLabel,
    podLabel: config.podLabel,
    mutateWorkloads: config.mutateWorkloads,
    owner,
  };
}

function caBundleOf(secret: V1Secret | undefined): string | undefined {
  const bundle = secret ? readPems(secret).caCrt : undefined;
  return bundle?.trim() ? bundle : undefined;
}

/**
 * The owning ClusterRole's uid. Any failure (it is gone, or deleting it took our right to read
 * it) throws, so that nothing is applied: during uninstall the garbage collector removes the
 * configuration, and re-creating it without an owner would outlive the release.
 */
async function readOwner(
  clients: KubeClients,
  name: string,
): Promise<{ name: string; uid: string }> {
  const role = await callApi(`read clusterrole ${name}`, () =>
    clients.kubeConfig.makeApiClient(RbacAuthorizationV1Api).readClusterRole({ name }),
  );
  const uid = role.metadata?.uid;
  if (!uid || role.metadata?.deletionTimestamp) {
    throw new RetryableError(
      `clusterrole ${name} is being deleted; webhook configuration not applied`,
    );
  }
  return { name, uid };
}

async function applyConfiguration(
  clients: KubeClients,
  body: V1MutatingWebhookConfiguration,
): Promise<V1MutatingWebhookConfiguration> {
  const name = body.metadata!.name!;
  // client-node sends a JSON body; JSON is YAML, so the apply content type accepts it.
  return callApi(`apply mutatingwebhookconfiguration ${name}`, () =>
    clients.admission.patchMutatingWebhookConfiguration(
      { name, body, fieldManager: FIELD_MANAGER, force: true },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    ),
  );
}

interface ApplyResult {
  breakGlass: boolean;
  applied: V1MutatingWebhookConfiguration;
  hasCaBundle: boolean;
}

function logTransitions(log: Logger, memory: WebhookConfigMemory, result: ApplyResult): void {
  const { breakGlass, applied, hasCaBundle } = result;
  const fields = {
    name: applied.metadata?.name,
    resourceVersion: applied.metadata?.resourceVersion,
  };
  if (breakGlass && !memory.breakGlass) log.warn("break glass engaged; webhook removed", fields);
  if (!breakGlass && memory.breakGlass) log.info("break glass released; webhook restored", fields);
  if (applied.metadata?.resourceVersion !== memory.resourceVersion) {
    log.info("webhook configuration applied", { ...fields, breakGlass, hasCaBundle });
  }
  memory.breakGlass = breakGlass;
  memory.resourceVersion = applied.metadata?.resourceVersion;
}
