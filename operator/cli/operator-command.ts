import {
  createLogger,
  errorFields,
  type LogLevel,
  type Logger,
} from "../../webhook/telemetry/logger.js";
import { createMetrics } from "../../webhook/telemetry/metrics.js";
import { OPTIONS, redactConfig, type Config, type OptionName } from "../config.js";
import { startOperator, type ExitReason } from "../operator.js";
import { optionRows, readCommandConfig } from "./command-config.js";
import type { CliIo } from "./io.js";
import { EXIT_FAILURE, EXIT_OK } from "./io.js";

// Kubernetes sends SIGKILL 30 s after SIGTERM by default; finish well before that.
const SHUTDOWN_BUDGET_MS = 20_000;

// Standalone-only options (policy files, certificate files) are refused: in a cluster policies
// come from ImageSwapPolicies and the certificate from its Secret.
const STANDALONE_ONLY: readonly OptionName[] = ["policy", "mapFile", "tlsCert", "tlsKey"];
const OPERATOR_OPTIONS = (Object.keys(OPTIONS) as OptionName[]).filter(
  name => !STANDALONE_ONLY.includes(name),
);

function help(): string {
  const rows = optionRows(OPERATOR_OPTIONS, 26);
  return [
    "imageswap operator: watch ImageSwapPolicies and Namespaces, serve the webhook, and (as",
    "leader) write policy status, the certificate Secret and the webhook configuration.",
    "",
    "Options (flag, environment variable; the flag wins):",
    ...rows,
    "",
  ].join("\n");
}

type StopReason = ExitReason | "SIGTERM" | "SIGINT";

/** Resolves on the first of SIGTERM and SIGINT; the returned function removes the handlers. */
function onSignal(): { signal: Promise<StopReason>; dispose: () => void } {
  let dispose = (): void => undefined;
  const signal = new Promise<StopReason>(resolve => {
    const term = (): void => resolve("SIGTERM");
    const int = (): void => resolve("SIGINT");
    process.once("SIGTERM", term);
    process.once("SIGINT", int);
    dispose = () => {
      process.off("SIGTERM", term);
      process.off("SIGINT", int);
    };
  });
  return { signal, dispose };
}

async function stopWithin(stop: () => Promise<void>, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>(resolve => {
    timer = setTimeout(() => {
      log.warn("shutdown budget exceeded", { durationMs: SHUTDOWN_BUDGET_MS });
      resolve();
    }, SHUTDOWN_BUDGET_MS);
  });
  await Promise.race([stop(), budget]);
  clearTimeout(timer);
}

async function serve(config: Config, io: CliIo): Promise<number> {
  const log = createLogger({
    // Validated by loadConfig against the LogLevel names.
    level: config.logLevel as LogLevel,
    stream: io.stdout,
  });
  log.info("configuration", { component: "operator", config: redactConfig(config) });
  const metrics = createMetrics({ includeDefaults: true });
  const { signal, dispose } = onSignal();
  let operator;
  try {
    operator = await startOperator({ config, log, metrics });
  } catch (err) {
    dispose();
    log.error("operator failed to start", { component: "operator", err: errorFields(err) });
    return EXIT_FAILURE;
  }

  const reason = await Promise.race([operator.exit, signal]);
  dispose();
  log.info("shutdown requested", { component: "operator", reason });
  await stopWithin(() => operator.stop(), log);
  if (reason !== "leadership-lost") return EXIT_OK;
  // NOTE: a replica that lost the lease must not linger; if a stray handle would keep the event
  // loop alive after shutdown, this unref'd timer ends the process anyway.
  setTimeout(() => process.exit(EXIT_FAILURE), 5000).unref();
  return EXIT_FAILURE;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const config = readCommandConfig(argv, io, {
    command: "imageswap operator",
    names: OPERATOR_OPTIONS,
    help,
  });
  return typeof config === "number" ? config : serve(config, io);
}
