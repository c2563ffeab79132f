import type { V1MutatingWebhookConfiguration, V1Secret } from "@kubernetes/client-node";
import type { Logger } from "../../webhook/telemetry/logger.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import type { Config } from "../config.js";
import type { ReconcileOutcome } from "../controller/controller.js";
import type { Runnable } from "../controller/runnable.js";
import { callApi } from "../k8s/api-errors.js";
import type { ReadCache } from "../k8s/informer.js";
import type { KubeClients } from "../k8s/kube-config.js";
import { FIELD_MANAGER } from "../k8s/resources.js";
import { WEBHOOK_NAME } from "../webhook-config/webhook-configuration.js";
import { describeStep, recordSecretEvent } from "./cert-events.js";
import { generateCertificates } from "./cert-generator.js";
import type { CertPlan, CertPlanOptions } from "./cert-plan.js";
import { nextTlsContent, planCertificate } from "./cert-plan.js";
import { readCertificate, servingNames, splitPemBundle } from "./certificate-info.js";
import type { ChangeSource } from "./single-object-controller.js";
import { createSingleObjectController } from "./single-object-controller.js";
import { buildTlsSecret, inspectTlsSecret } from "./tls-secret.js";

export type CertificateConfig = Pick<
  Config,
  | "namespace"
  | "tlsSecretName"
  | "serviceName"
  | "extraSans"
  | "certValidityDays"
  | "certRenewBeforeDays"
  | "certRotationGraceSec"
  | "manageWebhookConfig"
  | "webhookConfigName"
>;

export interface CertificateReconcilerDeps {
  config: CertificateConfig;
  clients: KubeClients;
  /** Informer over the one TLS Secret (shared with the every-replica watcher). */
  secrets: ReadCache<V1Secret> & ChangeSource;
  /** Informer over the one webhook configuration; tells whether its caBundle trusts a new CA. */
  webhookConfigs: ReadCache<V1MutatingWebhookConfiguration> & ChangeSource;
  log: Logger;
  metrics: Metrics;
  /** The replica's identity, for Events. */
  identity?: string;
  /** @default () => new Date() */
  clock?: () => Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often to look again while the informers have not listed yet. */
const SYNC_WAIT_MS = 500;

/**
 * The leader-only reconciler of the certificate Secret: creates it, renews it when due or asked,
 * and walks each rotation through its phases (see cert-plan.ts), one written step per reconcile.
 * Only for `manageCertificate=true`; a user's own Secret is never written.
 */
export function createCertificateReconciler(deps: CertificateReconcilerDeps): Runnable {
  const log = deps.log.child({ component: "certificate" });
  return createSingleObjectController({
    name: "certificate",
    key: `${deps.config.namespace}/${deps.config.tlsSecretName}`,
    reconcile: () => reconcileCertificate({ ...deps, log }),
    triggers: [deps.secrets, deps.webhookConfigs],
    log,
    metrics: deps.metrics,
  });
}

/** One pass: plan from the caches, then write at most one step. Exported for tests. */
export async function reconcileCertificate(
  deps: CertificateReconcilerDeps,
): Promise<ReconcileOutcome> {
  const { config } = deps;
  // Plan only from listed state: an unsynced cache reads as "no Secret" and "no configuration".
  if (!deps.secrets.hasSynced() || !deps.webhookConfigs.hasSynced()) {
    return { requeueAfterMs: SYNC_WAIT_MS };
  }
  const now = (deps.clock ?? (() => new Date()))();
  const secret = deps.secrets.get(config.tlsSecretName, config.namespace);
  const state = secret && inspectTlsSecret(secret);
  const trusted = deps.config.manageWebhookConfig
    ? trustedFingerprints(deps.webhookConfigs.get(config.webhookConfigName))
    : undefined;

  const plan = planCertificate(
    { secret: state, trustedFingerprints: trusted, now },
    planOptions(config),
  );
  if (plan.action === "wait") {
    deps.log.debug("certificate unchanged", {
      reason: plan.reason,
      requeueAfterMs: plan.requeueAfterMs,
    });
    return { requeueAfterMs: plan.requeueAfterMs };
  }

  const fresh = needsFreshCertificates(plan) ? await generate(config, now) : undefined;
  const content = nextTlsContent(state, plan, now, fresh);
  const target = { namespace: config.namespace, name: config.tlsSecretName };
  const written = await writeSecret(deps.clients, buildTlsSecret(content, target, secret), secret);

  const notAfter = readCertificate(content.pems.tlsCrt).notAfter;
  deps.log.info("certificate secret updated", {
    ...target,
    action: plan.action,
    reason: reasonOf(plan),
    phase: content.phase,
    notAfter,
  });
  await recordSecretEvent(deps.clients.core, written, describeStep(plan, notAfter), {
    now,
    log: deps.log,
    instance: deps.identity,
  });
  // The write's own watch event queues the next step; nothing to schedule here.
  return undefined;
}

/**
 * SHA-256 fingerprints of the CAs our webhook's caBundle holds, or `undefined` when no webhook of
 * ours is configured (not created yet, or break glass): then nothing must trust a new CA first.
 */
export function trustedFingerprints(
  config: V1MutatingWebhookConfiguration | undefined,
): string[] | undefined {
  const webhook = config?.webhooks?.find(w => w.name === WEBHOOK_NAME);
  if (webhook === undefined) return undefined;
  const bundle = Buffer.from(webhook.clientConfig.caBundle ?? "", "base64").toString("utf8");
  return splitPemBundle(bundle).flatMap(pem => {
    try {
      return [readCertificate(pem).fingerprint256];
    } catch {
      return [];
    }
  });
}

function planOptions(config: CertificateConfig): CertPlanOptions {
  return {
    renewBeforeMs: config.certRenewBeforeDays * DAY_MS,
    graceMs: config.certRotationGraceSec * 1000,
    names: servingNames(config.serviceName, config.namespace, config.extraSans),
  };
}

function needsFreshCertificates(plan: CertPlan): boolean {
  return plan.action === "create" || plan.action === "begin-rotation";
}

function generate(config: CertificateConfig, now: Date) {
  return generateCertificates({
    commonName: `${config.serviceName}.${config.namespace}.svc`,
    names: servingNames(config.serviceName, config.namespace, config.extraSans),
    validityDays: config.certValidityDays,
    now,
  });
}

/**
 * Creates the Secret or replaces it at the resourceVersion it was read at: a concurrent change
 * fails with a ConflictError and the reconcile is retried on fresh data.
 */
async function writeSecret(
  clients: KubeClients,
  body: V1Secret,
  current: V1Secret | undefined,
): Promise<V1Secret> {
  const { namespace, name } = body.metadata as { namespace: string; name: string };
  if (current === undefined) {
    return callApi(`create secret ${namespace}/${name}`, () =>
      clients.core.createNamespacedSecret({ namespace, body, fieldManager: FIELD_MANAGER }),
    );
  }
  return callApi(`replace secret ${namespace}/${name}`, () =>
    clients.core.replaceNamespacedSecret({ namespace, name, body, fieldManager: FIELD_MANAGER }),
  );
}

function reasonOf(plan: CertPlan): string | undefined {
  return "reason" in plan ? plan.reason : undefined;
}
