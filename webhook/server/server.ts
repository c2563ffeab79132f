import type { Server as HttpServer } from "node:http";
import { createServer } from "node:https";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { TlsError } from "../errors.js";
import type { Logger } from "../telemetry/logger.js";
import { errorFields } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import { createWebhookListener } from "./app.js";
import { CertificateStore, MIN_TLS_VERSION } from "./certificate-store.js";
import { readinessCheck } from "./health.js";
import { createMetricsServer } from "./metrics-server.js";
import type { CertificateSink, PemPair, StateHolder } from "./serving-state.js";

/** Everything the webhook server needs; the entry point (operator or standalone) builds it. */
export interface WebhookServerOptions {
  /** HTTPS port for admission, `/healthz` and `/readyz`; 0 picks a free port. @default 8443 */
  port: number;
  /** Plain-HTTP port for `/metrics` (and the health endpoints); 0 picks a free port. @default 9090 */
  metricsPort: number;
  /** @default "0.0.0.0" */
  bindAddress: string;
  /**
   * Largest request body accepted, in bytes; larger ones get HTTP 413. The apiserver refuses
   * requests over 3 MiB, and an UPDATE review carries both the object and `oldObject`: twice
   * 3 MiB plus the review around them always fits in 7 MiB.
   * @default 7340032 (7 MiB)
   */
  maxBodyBytes: number;
  /** Send admission warnings naming each swap. @default true */
  warnings: boolean;
  /** Pod label whose value `disabled` opts a Pod out. @default "k8s.twr.io/imageswap" */
  podLabel: string;
  /** Namespace label whose value `enabled` opts a namespace in. @default "k8s.twr.io/imageswap" */
  namespaceLabel: string;
  /** Also rewrite the pod templates of workload kinds. @default false */
  mutateWorkloads: boolean;
  /** Never mutated, e.g. the operator's own namespace and kube-system. */
  protectedNamespaces: string[];
  state: StateHolder;
  log: Logger;
  metrics: Metrics;
  /** Initial pair; may also arrive later through `tls.update`. */
  certificate?: PemPair;
  /** Consecutive failed certificate reloads before readiness turns false. @default 12 */
  certReloadFailureBudget?: number;
}

export interface WebhookServer {
  readonly tls: CertificateSink & { ready(): boolean; current(): PemPair | undefined };
  /** The actual HTTPS port (differs from the option when it was 0). */
  readonly port: number;
  /** The actual metrics port. */
  readonly metricsPort: number;
  /** Stops accepting, lets in-flight requests finish, closes both servers. */
  close(): Promise<void>;
}

// Longer than the idle timeout of Go's HTTP transport (90 s), which the apiserver uses: the
// client then closes idle connections first, and never reuses one we are closing under it.
const KEEP_ALIVE_TIMEOUT_MS = 120_000;
// The apiserver gives a webhook at most 30 s; a request still arriving after 60 s is abuse.
const REQUEST_TIMEOUT_MS = 60_000;
// In-flight requests get this long to finish on close before their connections are cut.
const CLOSE_GRACE_MS = 10_000;

function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise(resolve => {
    if (!server.listening) return resolve();
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function trackTable(state: StateHolder, metrics: Metrics): void {
  const record = (s: { table: { generation: number; ruleCount: number } }) => {
    metrics.swapTableGeneration.set(s.table.generation);
    metrics.swapTableRules.set(s.table.ruleCount);
  };
  const current = state.current();
  if (current) record(current);
  state.onPublish(record);
}

function createHttpsServer(log: Logger): HttpsServer {
  // No certificate yet is fine: handshakes fail until `tls.update` installs one.
  const server = createServer({ minVersion: MIN_TLS_VERSION });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.on("tlsClientError", err => log.debug("tls handshake failed", { err: errorFields(err) }));
  return server;
}

/**
 * Starts the HTTPS admission server and the plain-HTTP metrics server.
 * @throws TlsError when `certificate` is given and unusable
 * @returns once both listen; a listen error (port in use) rejects and nothing stays open
 */
export async function startWebhookServer(o: WebhookServerOptions): Promise<WebhookServer> {
  const log = o.log.child({ component: "webhook" });
  const https = createHttpsServer(log);
  const tls = new CertificateStore({
    log: log.child({ component: "certificate" }),
    metrics: o.metrics,
    apply: options => https.setSecureContext(options),
    failureBudget: o.certReloadFailureBudget,
  });
  if (o.certificate && !tls.update(o.certificate, "startup")) {
    throw new TlsError("the initial serving certificate was rejected");
  }

  const readiness = readinessCheck(o.state, tls);
  const admit = {
    podLabel: o.podLabel,
    namespaceLabel: o.namespaceLabel,
    mutateWorkloads: o.mutateWorkloads,
    protectedNamespaces: new Set(o.protectedNamespaces),
    warnings: o.warnings,
  };
  https.on("request", createWebhookListener({ ...o, log, admit, readiness }));
  trackTable(o.state, o.metrics);

  const metricsServer = createMetricsServer({ metrics: o.metrics, readiness, log });
  const port = await listen(https, o.port, o.bindAddress);
  const metricsPort = await listen(metricsServer, o.metricsPort, o.bindAddress).catch(async err => {
    await closeServer(https);
    throw err;
  });
  log.info("webhook serving", { bindAddress: o.bindAddress, port, metricsPort });

  const close = async () => {
    await Promise.all([closeServer(https), closeServer(metricsServer)]);
    log.info("webhook stopped", { port, metricsPort });
  };
  return { tls, port, metricsPort, close };
}
