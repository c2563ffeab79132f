import type { V1Secret } from "@kubernetes/client-node";
import type { CertificateSink, PemPair } from "../../webhook/server/serving-state.js";
import type { Logger } from "../../webhook/telemetry/logger.js";
import type { Runnable } from "../controller/runnable.js";
import type { ReadCache } from "../k8s/informer.js";
import type { InformerListener } from "../k8s/informer.js";
import { readPems } from "./tls-secret.js";

export interface ServingSecretWatcherDeps {
  namespace: string;
  name: string;
  /** Informer over the one TLS Secret (managed by the leader, or brought by the user). */
  secrets: ReadCache<V1Secret> & { onChange(listener: InformerListener<V1Secret>): () => void };
  /** The webhook server's `tls`: it checks the pair, swaps it in, counts and logs the result. */
  sink: CertificateSink;
  log: Logger;
}

/**
 * Every replica, leader or not: feeds `tls.crt`/`tls.key` of the Secret to the webhook server as
 * they change, so a rotated certificate is served without a restart. A pair the sink refuses
 * leaves the old one serving; a deleted Secret changes nothing (the leader recreates it).
 * Changes to other entries or annotations (rotation phases) are not passed on.
 */
export function watchServingSecret(deps: ServingSecretWatcherDeps): Runnable {
  const log = deps.log.child({ component: "serving-secret-watcher" });
  const source = `secret ${deps.namespace}/${deps.name}`;
  let last: PemPair | undefined;
  let unsubscribe: (() => void) | undefined;

  const load = (secret: V1Secret): void => {
    const { tlsCrt, tlsKey } = readPems(secret);
    if (tlsCrt === undefined || tlsKey === undefined) {
      log.warn("serving secret incomplete", { namespace: deps.namespace, name: deps.name });
      return;
    }
    if (last?.cert === tlsCrt && last.key === tlsKey) return;
    // Remembered even when refused: the same bad pair is not offered again on every event.
    last = { cert: tlsCrt, key: tlsKey };
    deps.sink.update(last, source);
  };

  return {
    name: "serving-secret-watcher",
    start(): void {
      if (unsubscribe) return;
      unsubscribe = deps.secrets.onChange(event => {
        if (event.object.metadata?.name !== deps.name) return;
        if (event.type === "delete") {
          log.warn("serving secret deleted; keeping the current certificate", {
            namespace: deps.namespace,
            name: deps.name,
          });
          return;
        }
        load(event.object);
      });
      const current = deps.secrets.get(deps.name, deps.namespace);
      if (current) load(current);
    },
    async stop(): Promise<void> {
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
