import type { Logger } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { CertificateSink, PemPair, StateHolder } from "./serving-state.js";

/** Everything the webhook server needs; the entry point (operator or standalone) builds it. */
export interface WebhookServerOptions {
  /** HTTPS port for admission, `/healthz` and `/readyz`; 0 picks a free port. @default 8443 */
  port: number;
  /** Plain-HTTP port for `/metrics` (and the health endpoints); 0 picks a free port. @default 9090 */
  metricsPort: number;
  /** @default "0.0.0.0" */
  bindAddress: string;
  /** Largest request body accepted, in bytes. @default 7 MiB (7340032) */
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

/**
 * Starts the HTTPS admission server and the plain-HTTP metrics server.
 * Resolves once both listen; rejects with the listen error otherwise.
 */
export async function startWebhookServer(_o: WebhookServerOptions): Promise<WebhookServer> {
  // TODO(#4): the contract lands first so that the operator can wire against it; serving follows.
  throw new Error("webhook server not implemented yet");
}
