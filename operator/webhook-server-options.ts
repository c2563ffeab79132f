import type { WebhookServerOptions } from "../webhook/server/server.js";
import type { Config } from "./config.js";
import { protectedNamespaces } from "./webhook-config/webhook-configuration.js";

type FromConfig = Omit<WebhookServerOptions, "state" | "log" | "metrics" | "certificate">;

/**
 * The webhook server's settings as the configuration gives them, shared by `imageswap operator`
 * and the standalone `imageswap webhook`, so both serve admission the same way.
 */
export function webhookServerOptions(config: Config): FromConfig {
  return {
    port: config.port,
    metricsPort: config.metricsPort,
    bindAddress: config.bindAddress,
    maxBodyBytes: config.maxBodyBytes,
    warnings: config.warnings,
    podLabel: config.podLabel,
    namespaceLabel: config.namespaceLabel,
    mutateWorkloads: config.mutateWorkloads,
    protectedNamespaces: protectedNamespaces(config.namespace),
  };
}
