import { randomBytes } from "node:crypto";
import type { V1MutatingWebhookConfiguration, V1Secret } from "@kubernetes/client-node";
import type { Config } from "../../operator/config.js";
import { loadConfig } from "../../operator/config.js";
import { createCertificateReconciler } from "../../operator/certs/cert-reconciler.js";
import { watchServingSecret } from "../../operator/certs/serving-secret-watcher.js";
import type { Runnable } from "../../operator/controller/runnable.js";
import type { Informer } from "../../operator/k8s/informer.js";
import type { KubeClients } from "../../operator/k8s/kube-config.js";
import { createKubeClients } from "../../operator/k8s/kube-config.js";
import { createSecretInformer } from "../../operator/k8s/resources.js";
import { createWebhookConfigInformer } from "../../operator/webhook-config/webhook-config-informer.js";
import { createWebhookConfigReconciler } from "../../operator/webhook-config/webhook-config-reconciler.js";
import type { CertificateSink, PemPair } from "../../webhook/server/serving-state.js";
import { createSilentLogger } from "../../webhook/telemetry/logger.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import { createMetrics } from "../../webhook/telemetry/metrics.js";
import { kubeConfig } from "../cluster/test-env.js";

/**
 * The certificate and webhook-configuration machinery of one operator replica, run in-process
 * against the real apiserver, without the rest of the operator: for suites that test those parts
 * alone. `start()` runs informers, then the leader-only reconcilers.
 */
export interface ReconcilerHarness {
  config: Config;
  clients: KubeClients;
  metrics: Metrics;
  secrets: Informer<V1Secret>;
  webhookConfigs: Informer<V1MutatingWebhookConfiguration>;
  /** Every pair the serving-secret watcher handed over, in order. */
  served: PemPair[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A sink that accepts every pair and remembers it: the webhook server is not under test here. */
function recordingSink(served: PemPair[]): CertificateSink {
  return {
    update(pair: PemPair): boolean {
      served.push(pair);
      return true;
    },
  };
}

/** A unique suffix for cluster-scoped names, so suites never share an object. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString("hex");
}

export function createReconcilerHarness(args: string[]): ReconcilerHarness {
  const { config } = loadConfig(args, {});
  const clients = createKubeClients(kubeConfig());
  const metrics = createMetrics();
  const log = createSilentLogger();
  const deps = { clients, log, metrics, backoff: { initialMs: 100, maxMs: 1000 } };
  const secrets = createSecretInformer(deps, config.namespace, config.tlsSecretName);
  const webhookConfigs = createWebhookConfigInformer(deps, config.webhookConfigName);
  const served: PemPair[] = [];
  const parts: Runnable[] = [
    watchServingSecret({
      namespace: config.namespace,
      name: config.tlsSecretName,
      secrets,
      sink: recordingSink(served),
      log,
    }),
    createWebhookConfigReconciler({ config, clients, secrets, webhookConfigs, log, metrics }),
  ];
  // As in the operator: a Secret the user brings is never written.
  if (config.manageCertificate) {
    parts.push(
      createCertificateReconciler({ config, clients, secrets, webhookConfigs, log, metrics }),
    );
  }

  return {
    config,
    clients,
    metrics,
    secrets,
    webhookConfigs,
    served,
    async start() {
      secrets.start();
      webhookConfigs.start();
      await Promise.all([secrets.waitForSync(), webhookConfigs.waitForSync()]);
      for (const part of parts) part.start();
    },
    async stop() {
      for (const part of parts.slice().reverse()) await part.stop();
      await Promise.all([secrets.stop(), webhookConfigs.stop()]);
    },
  };
}
