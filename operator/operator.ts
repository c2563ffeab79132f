import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import { startWebhookServer, type WebhookServer } from "../webhook/server/server.js";
import { StateHolder, type PemPair } from "../webhook/server/serving-state.js";
import { errorFields, type Logger } from "../webhook/telemetry/logger.js";
import type { Metrics } from "../webhook/telemetry/metrics.js";
import { createCertificateReconciler } from "./certs/cert-reconciler.js";
import { watchServingSecret } from "./certs/serving-secret-watcher.js";
import type { Config } from "./config.js";
import type { Runnable } from "./controller/runnable.js";
import type { BackoffOptions } from "./k8s/backoff.js";
import type { Informer } from "./k8s/informer.js";
import { createKubeClients, loadKubeConfig, type KubeClients } from "./k8s/kube-config.js";
import {
  createNamespaceInformer,
  createPolicyInformer,
  createSecretInformer,
  type InformerDeps,
} from "./k8s/resources.js";
import { LeaderElector } from "./leader/leader-elector.js";
import { PolicyCompiler } from "./policy/policy-compiler.js";
import { PolicyStatusWriter } from "./policy/status-writer.js";
import { TableController } from "./policy/table-controller.js";
import { ShutdownStack } from "./shutdown-stack.js";
import { createWebhookConfigInformer } from "./webhook-config/webhook-config-informer.js";
import { createWebhookConfigReconciler } from "./webhook-config/webhook-config-reconciler.js";
import { webhookServerOptions } from "./webhook-server-options.js";

/**
 * The `imageswap operator` process, wired in controller-runtime's start order:
 *
 *   config -> logger/metrics -> webhook server (HTTPS + metrics) -> informers synced and the
 *   first table published -> every-replica runnables -> leader election -> leader-only runnables
 *
 * Every replica serves admissions from its own table; only the Lease holder writes to the
 * cluster. Losing the lease stops leader work at once and resolves `exit`, on which the entry
 * point shuts down and exits 1 (a fresh replica rejoins cleanly; no half-leader lingers).
 */

export interface OperatorOptions {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** @default loaded from `config.kubeconfig`, else the in-cluster ServiceAccount */
  kubeConfig?: KubeConfig;
  /** A serving pair to start with, before the Secret watcher delivers one (tests use this). */
  certificate?: PemPair;
  /** Informer restart delays. @default { initialMs: 500, maxMs: 30000 } */
  informerBackoff?: BackoffOptions;
  /** Lease handed over on stop. @default true */
  releaseLeaseOnStop?: boolean;
}

export type ExitReason = "leadership-lost";

export interface Operator {
  readonly identity: string;
  readonly server: WebhookServer;
  readonly state: StateHolder;
  readonly compiler: PolicyCompiler;
  /** Resolves when the process must end on its own: the lease was lost. */
  readonly exit: Promise<ExitReason>;
  isLeader(): boolean;
  /** Leader work, then the lease, then every-replica work and informers, then the server. */
  stop(): Promise<void>;
}

/** What the plug-in point below receives. */
export interface RunnableContext {
  config: Config;
  clients: KubeClients;
  informerDeps: InformerDeps;
  server: WebhookServer;
  identity: string;
  log: Logger;
  metrics: Metrics;
}

/** Runnables plugged into the operator besides the policy ones. */
export interface PluggedRunnables {
  /** Started before the informers sync, run on every replica. */
  informers: Array<Informer<KubernetesObject>>;
  everyReplica: Runnable[];
  leaderOnly: Runnable[];
}

/**
 * THE PLUG-IN POINT for the certificate and webhook-configuration work (issue #6): the serving
 * Secret watcher runs on every replica and feeds `server.tls`; the certificate and
 * MutatingWebhookConfiguration reconcilers run on the leader only.
 */
export function certificateRunnables(ctx: RunnableContext): PluggedRunnables {
  const { config, informerDeps, log, metrics, clients } = ctx;
  const secrets = createSecretInformer(informerDeps, config.namespace, config.tlsSecretName);
  const plugged: PluggedRunnables = { informers: [secrets], everyReplica: [], leaderOnly: [] };
  plugged.everyReplica.push(
    watchServingSecret({
      namespace: config.namespace,
      name: config.tlsSecretName,
      secrets,
      sink: ctx.server.tls,
      log,
    }),
  );
  if (!config.manageCertificate && !config.manageWebhookConfig) return plugged;

  const webhookConfigs = createWebhookConfigInformer(informerDeps, config.webhookConfigName);
  plugged.informers.push(webhookConfigs);
  const shared = { config, clients, secrets, webhookConfigs, log, metrics };
  if (config.manageCertificate) {
    plugged.leaderOnly.push(createCertificateReconciler({ ...shared, identity: ctx.identity }));
  }
  if (config.manageWebhookConfig) {
    plugged.leaderOnly.push(
      createWebhookConfigReconciler({ ...shared, listeningPort: ctx.server.port }),
    );
  }
  return plugged;
}

function defaultIdentity(): string {
  // In a cluster the hostname is the Pod name; the suffix keeps two local runs apart.
  return `${hostname()}-${randomBytes(4).toString("hex")}`;
}

async function startServer(options: OperatorOptions, state: StateHolder): Promise<WebhookServer> {
  const { config } = options;
  return startWebhookServer({
    ...webhookServerOptions(config),
    state,
    log: options.log.child({ component: "webhook" }),
    metrics: options.metrics,
    certificate: options.certificate,
  });
}

/**
 * Starts everything and resolves once the webhook serves the first table built from synced
 * caches. Leader election runs in the background from then on.
 * @throws whatever the server or kubeconfig loading throws; nothing is left running then
 */
export async function startOperator(options: OperatorOptions): Promise<Operator> {
  const { config } = options;
  const log = options.log.child({ component: "operator" });
  const clients = createKubeClients(options.kubeConfig ?? loadKubeConfig(config));
  const identity = config.identity ?? defaultIdentity();
  const state = new StateHolder();
  const server = await startServer(options, state);

  const stack = new ShutdownStack(log);
  stack.push("webhook server", () => server.close());
  try {
    return await startControllers({ options, log, clients, identity, state, server, stack });
  } catch (err) {
    log.error("operator start failed", { err: errorFields(err) });
    await stack.unwind();
    throw err;
  }
}

interface StartContext {
  options: OperatorOptions;
  log: Logger;
  clients: KubeClients;
  identity: string;
  state: StateHolder;
  server: WebhookServer;
  stack: ShutdownStack;
}

function startInformers(ctx: StartContext): {
  policies: ReturnType<typeof createPolicyInformer>;
  namespaces: ReturnType<typeof createNamespaceInformer>;
  plugged: PluggedRunnables;
} {
  const { options, clients, stack } = ctx;
  const { config, metrics } = options;
  const informerDeps: InformerDeps = {
    clients,
    log: options.log.child({ component: "informer" }),
    metrics,
    backoff: options.informerBackoff,
  };
  const policies = createPolicyInformer(informerDeps);
  const namespaces = createNamespaceInformer(informerDeps);
  const plugged = certificateRunnables({ ...ctx, config, informerDeps, log: options.log, metrics });
  for (const informer of [policies, namespaces, ...plugged.informers]) {
    informer.start();
    stack.push(`informer ${informer.resource}`, () => informer.stop());
  }
  return { policies, namespaces, plugged };
}

async function startControllers(ctx: StartContext): Promise<Operator> {
  const { options, clients, state, stack } = ctx;
  const { metrics } = options;
  const { policies, namespaces, plugged } = startInformers(ctx);

  const compilerLog = options.log.child({ component: "policy-compiler" });
  const compiler = new PolicyCompiler({ policies, namespaces, state, log: compilerLog });
  const table = new TableController({ policies, namespaces, compiler, log: compilerLog, metrics });
  await table.compileWhenSynced();
  for (const runnable of [table, ...plugged.everyReplica]) {
    runnable.start();
    stack.push(runnable.name, () => runnable.stop());
  }

  const statusLog = options.log.child({ component: "policy-status" });
  const statusWriter = new PolicyStatusWriter({
    clients,
    policies,
    compiler,
    log: statusLog,
    metrics,
  });
  table.onCompiled(() => statusWriter.enqueueAll());
  const leaderOnly = [statusWriter, ...plugged.leaderOnly];
  return elect({ ...ctx, compiler, leaderOnly });
}

function elect(ctx: StartContext & { compiler: PolicyCompiler; leaderOnly: Runnable[] }): Operator {
  const { options, log, clients, identity, stack, leaderOnly } = ctx;
  const { config, metrics } = options;
  const elector = new LeaderElector({
    clients,
    namespace: config.namespace,
    leaseName: config.leaseName,
    identity,
    leaseDurationSec: config.leaseDurationSec,
    renewDeadlineSec: config.renewDeadlineSec,
    retryPeriodSec: config.retryPeriodSec,
    releaseOnStop: options.releaseLeaseOnStop,
    log: options.log.child({ component: "leader-election" }),
    metrics,
  });
  const leaderWork = new ShutdownStack(log);
  let resolveExit!: (reason: ExitReason) => void;
  const exit = new Promise<ExitReason>(resolve => (resolveExit = resolve));

  stack.push("leader election", () => elector.stop());
  elector.start({
    onStartedLeading: () => {
      for (const runnable of leaderOnly) {
        runnable.start();
        leaderWork.push(runnable.name, () => runnable.stop());
      }
    },
    onStoppedLeading: () => {
      // WARNING: stop first, then report: another replica may already be writing.
      void leaderWork.unwind();
      resolveExit("leadership-lost");
    },
  });
  log.info("operator started", {
    identity,
    port: ctx.server.port,
    metricsPort: ctx.server.metricsPort,
  });

  return {
    identity,
    server: ctx.server,
    state: ctx.state,
    compiler: ctx.compiler,
    exit,
    isLeader: () => elector.isLeader(),
    stop: async () => {
      log.info("operator stopping", { identity });
      await leaderWork.unwind();
      await stack.unwind();
      log.info("operator stopped", { identity });
    },
  };
}
