import { ConfigError, isImageSwapError } from "../../webhook/errors.js";
import { FileWatch } from "../../webhook/server/file-watch.js";
import { StateHolder } from "../../webhook/server/serving-state.js";
import type { CertificateSink } from "../../webhook/server/serving-state.js";
import { startWebhookServer } from "../../webhook/server/server.js";
import type { WebhookServer } from "../../webhook/server/server.js";
import { createLogger, errorFields } from "../../webhook/telemetry/logger.js";
import type { LogLevel, Logger } from "../../webhook/telemetry/logger.js";
import { createMetrics } from "../../webhook/telemetry/metrics.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import { redactConfig } from "../config.js";
import type { Config, OptionName } from "../config.js";
import { optionRows, readCommandConfig } from "./command-config.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./io.js";
import { buildStandaloneTable } from "./standalone-table.js";
import { webhookServerOptions } from "../webhook-server-options.js";

/**
 * `imageswap webhook`: the admission webhook without an operator, for clusters that run none
 * and for testing. Policies (or one map file) and the certificate come from files, reloaded
 * when they change; every request that reaches the webhook is served, whatever its namespace.
 */

const WEBHOOK_OPTIONS: readonly OptionName[] = [
  "policy",
  "mapFile",
  "tlsCert",
  "tlsKey",
  "port",
  "metricsPort",
  "bindAddress",
  "warnings",
  "mutateWorkloads",
  "maxBodyBytes",
  "podLabel",
  "namespaceLabel",
  "namespace",
  "logLevel",
];

function help(): string {
  const rows = optionRows(WEBHOOK_OPTIONS, 18);
  return [
    "Usage: imageswap webhook (--policy FILE... | --map-file FILE) --tls-cert FILE --tls-key FILE",
    "                         [--port 8443] [--metrics-port 9090] [options]",
    "",
    "Serves the admission webhook from files; edits to them are picked up without a restart.",
    "--namespace names the namespace that, like kube-system, is never mutated.",
    "",
    "Options (flag, environment variable; the flag wins):",
    ...rows,
    "",
  ].join("\n");
}

/** The problems loadConfig cannot see: which options this command needs together. */
function checkCombination(config: Config): string[] {
  const problems: string[] = [];
  if (config.tlsCert === undefined) problems.push("--tls-cert is required");
  if (config.tlsKey === undefined) problems.push("--tls-key is required");
  const policies = config.policy.length > 0;
  if (policies === (config.mapFile !== undefined)) {
    problems.push("give either --policy (repeatable) or --map-file, not both or neither");
  }
  return problems;
}

interface Running {
  server: WebhookServer;
  watches: FileWatch[];
}

interface Context {
  config: Config;
  log: Logger;
  metrics: Metrics;
  state: StateHolder;
  /** The certificate sink, once the server exists: file changes before that are read at start. */
  sink?: CertificateSink;
}

function policyPaths(config: Config): { paths: string[]; kind: "policy" | "mapFile" } {
  return config.mapFile !== undefined
    ? { paths: [config.mapFile], kind: "mapFile" }
    : { paths: [...config.policy], kind: "policy" };
}

/** Compiles `texts` and publishes the table; false (logged) when a file does not compile. */
function publishPolicies(ctx: Context, texts: string[], generation: number): string[] {
  const { paths, kind } = policyPaths(ctx.config);
  const sources = paths.map((file, i) => ({ file, text: texts[i] ?? "" }));
  const result = buildStandaloneTable(sources, kind, generation);
  for (const warning of result.warnings) ctx.log.warn("policy warning", { detail: warning });
  if (!result.table) return result.errors;

  ctx.state.publish({ table: result.table, namespaces: null });
  ctx.log.info("swap table published", {
    generation,
    rules: result.table.ruleCount,
    policies: result.table.policies,
  });
  return [];
}

async function watchPolicies(ctx: Context): Promise<FileWatch> {
  let generation = 1;
  const onChange = (texts: string[]): void => {
    const errors = publishPolicies(ctx, texts, generation + 1);
    if (errors.length === 0) generation += 1;
    else ctx.log.warn("policy reload rejected; keeping the current table", { generation, errors });
  };
  const { paths } = policyPaths(ctx.config);
  const { watch, texts } = await FileWatch.open({ paths, onChange, log: ctx.log });
  const errors = publishPolicies(ctx, texts, generation);
  if (errors.length > 0) throw new ConfigError(errors);
  return watch;
}

async function watchCertificate(
  ctx: Context,
): Promise<{ watch: FileWatch; cert: string; key: string }> {
  const certFile = ctx.config.tlsCert as string;
  const paths = [certFile, ctx.config.tlsKey as string];
  const onChange = ([cert = "", key = ""]: string[]): void => {
    ctx.sink?.update({ cert, key }, `file:${certFile}`);
  };
  const { watch, texts } = await FileWatch.open({ paths, onChange, log: ctx.log });
  return { watch, cert: texts[0] ?? "", key: texts[1] ?? "" };
}

async function start(ctx: Context): Promise<Running> {
  const { config } = ctx;
  const policies = await watchPolicies(ctx);
  const tls = await watchCertificate(ctx);
  const server = await startWebhookServer({
    ...webhookServerOptions(config),
    state: ctx.state,
    log: ctx.log,
    metrics: ctx.metrics,
    certificate: { cert: tls.cert, key: tls.key },
  });
  ctx.sink = server.tls;
  // WARNING: watches start only now that the sink exists; a change in between is caught by the
  // first reload, which compares against the bytes read above.
  for (const watch of [policies, tls.watch]) {
    watch.start();
    void watch.reload();
  }
  return { server, watches: [policies, tls.watch] };
}

/** Resolves on the first SIGTERM or SIGINT; `dispose` removes the handlers either way. */
function onSignal(): { signal: Promise<NodeJS.Signals>; dispose: () => void } {
  let dispose = (): void => undefined;
  const signal = new Promise<NodeJS.Signals>(resolve => {
    const stop = (received: NodeJS.Signals): void => {
      dispose();
      resolve(received);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    dispose = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
    };
  });
  return { signal, dispose };
}

async function serve(config: Config, io: CliIo): Promise<number> {
  const log = createLogger({ level: config.logLevel as LogLevel, stream: io.stdout }).child({
    component: "webhook",
  });
  const used = Object.entries(redactConfig(config)).filter(([name]) =>
    WEBHOOK_OPTIONS.includes(name as OptionName),
  );
  log.info("configuration", { config: Object.fromEntries(used) });
  const ctx: Context = {
    config,
    log,
    metrics: createMetrics({ includeDefaults: true }),
    state: new StateHolder(),
  };
  // Listening before start: a signal during startup then stops the server right after.
  const { signal, dispose } = onSignal();

  let running: Running;
  try {
    running = await start(ctx);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
    for (const problem of problems) io.stderr.write(`imageswap webhook: ${problem}\n`);
    log.error("webhook failed to start", { err: errorFields(err) });
    dispose();
    return isImageSwapError(err) ? EXIT_USAGE : EXIT_FAILURE;
  }

  log.info("shutdown requested", { reason: await signal });
  for (const watch of running.watches) watch.close();
  await running.server.close();
  return EXIT_OK;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const config = readCommandConfig(argv, io, {
    command: "imageswap webhook",
    names: WEBHOOK_OPTIONS,
    help,
    check: checkCombination,
  });
  return typeof config === "number" ? config : serve(config, io);
}
