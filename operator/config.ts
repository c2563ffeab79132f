import { parseArgs } from "node:util";
import { ConfigError } from "../webhook/errors.js";
import type { LogLevel } from "../webhook/telemetry/logger.js";

/**
 * The only reader of `process.env` and command-line flags. Every option has a flag and an
 * `IMAGESWAP_*` variable of the same meaning (the flag wins); values are parsed, defaulted and
 * validated together, every problem reported at once, and the result frozen.
 */

type Kind = "string" | "int" | "bool" | "list";

interface OptionSpec {
  flag: string;
  env: string;
  kind: Kind;
  default?: string | number | boolean | string[];
  /** Never logged in clear. */
  secret?: boolean;
}

/** Every option of every command, with its default: the single table the chart mirrors. */
export const OPTIONS = {
  logLevel: { flag: "log-level", env: "IMAGESWAP_LOG_LEVEL", kind: "string", default: "info" },
  port: { flag: "port", env: "IMAGESWAP_PORT", kind: "int", default: 8443 },
  metricsPort: { flag: "metrics-port", env: "IMAGESWAP_METRICS_PORT", kind: "int", default: 9090 },
  bindAddress: {
    flag: "bind-address",
    env: "IMAGESWAP_BIND_ADDRESS",
    kind: "string",
    default: "0.0.0.0",
  },
  tlsCert: { flag: "tls-cert", env: "IMAGESWAP_TLS_CERT", kind: "string" },
  tlsKey: { flag: "tls-key", env: "IMAGESWAP_TLS_KEY", kind: "string" },
  policy: { flag: "policy", env: "IMAGESWAP_POLICY", kind: "list", default: [] },
  mapFile: { flag: "map-file", env: "IMAGESWAP_MAP_FILE", kind: "string" },
  warnings: { flag: "warnings", env: "IMAGESWAP_WARNINGS", kind: "bool", default: true },
  mutateWorkloads: {
    flag: "mutate-workloads",
    env: "IMAGESWAP_MUTATE_WORKLOADS",
    kind: "bool",
    default: false,
  },
  // Matches the apiserver: 3 MiB per object, and an UPDATE review carries object and oldObject.
  maxBodyBytes: {
    flag: "max-body-bytes",
    env: "IMAGESWAP_MAX_BODY_BYTES",
    kind: "int",
    default: 7 * 1024 * 1024,
  },
  namespaceLabel: {
    flag: "namespace-label",
    env: "IMAGESWAP_NAMESPACE_LABEL",
    kind: "string",
    default: "k8s.twr.io/imageswap",
  },
  podLabel: {
    flag: "pod-label",
    env: "IMAGESWAP_POD_LABEL",
    kind: "string",
    default: "k8s.twr.io/imageswap",
  },
  kubeconfig: { flag: "kubeconfig", env: "KUBECONFIG", kind: "string" },
  namespace: {
    flag: "namespace",
    env: "IMAGESWAP_NAMESPACE",
    kind: "string",
    default: "imageswap-system",
  },
  identity: { flag: "identity", env: "IMAGESWAP_IDENTITY", kind: "string" },
  leaseName: {
    flag: "lease-name",
    env: "IMAGESWAP_LEASE_NAME",
    kind: "string",
    default: "imageswap-leader",
  },
  leaseDurationSec: {
    flag: "lease-duration-sec",
    env: "IMAGESWAP_LEASE_DURATION_SEC",
    kind: "int",
    default: 15,
  },
  renewDeadlineSec: {
    flag: "renew-deadline-sec",
    env: "IMAGESWAP_RENEW_DEADLINE_SEC",
    kind: "int",
    default: 10,
  },
  retryPeriodSec: {
    flag: "retry-period-sec",
    env: "IMAGESWAP_RETRY_PERIOD_SEC",
    kind: "int",
    default: 2,
  },
  tlsSecretName: {
    flag: "tls-secret",
    env: "IMAGESWAP_TLS_SECRET",
    kind: "string",
    default: "imageswap-tls",
  },
  manageCertificate: {
    flag: "manage-certificate",
    env: "IMAGESWAP_MANAGE_CERTIFICATE",
    kind: "bool",
    default: true,
  },
  certValidityDays: {
    flag: "cert-validity-days",
    env: "IMAGESWAP_CERT_VALIDITY_DAYS",
    kind: "int",
    default: 365,
  },
  certRenewBeforeDays: {
    flag: "cert-renew-before-days",
    env: "IMAGESWAP_CERT_RENEW_BEFORE_DAYS",
    kind: "int",
    default: 180,
  },
  // Per rotation phase: time for the apiserver and every replica to see the last step before
  // the next one, so that no replica serves a certificate the caBundle does not trust.
  certRotationGraceSec: {
    flag: "cert-rotation-grace-sec",
    env: "IMAGESWAP_CERT_ROTATION_GRACE_SEC",
    kind: "int",
    default: 30,
  },
  serviceName: {
    flag: "service-name",
    env: "IMAGESWAP_SERVICE_NAME",
    kind: "string",
    default: "imageswap",
  },
  extraSans: { flag: "extra-san", env: "IMAGESWAP_EXTRA_SANS", kind: "list", default: [] },
  webhookConfigName: {
    flag: "webhook-config-name",
    env: "IMAGESWAP_WEBHOOK_CONFIG_NAME",
    kind: "string",
    default: "imageswap-webhook",
  },
  webhookUrl: { flag: "webhook-url", env: "IMAGESWAP_WEBHOOK_URL", kind: "string" },
  // A ClusterRole named as the webhook configuration's owner: deleting it (helm uninstall,
  // kubectl delete -k) lets the garbage collector remove the configuration. Unset: no owner.
  webhookConfigOwner: {
    flag: "webhook-config-owner",
    env: "IMAGESWAP_WEBHOOK_CONFIG_OWNER",
    kind: "string",
  },
  failurePolicy: {
    flag: "failure-policy",
    env: "IMAGESWAP_FAILURE_POLICY",
    kind: "string",
    default: "Fail",
  },
  timeoutSeconds: {
    flag: "timeout-seconds",
    env: "IMAGESWAP_TIMEOUT_SECONDS",
    kind: "int",
    default: 5,
  },
  manageWebhookConfig: {
    flag: "manage-webhook-config",
    env: "IMAGESWAP_MANAGE_WEBHOOK_CONFIG",
    kind: "bool",
    default: true,
  },
} as const satisfies Record<string, OptionSpec>;

type Options = typeof OPTIONS;
type ValueOf<K extends Kind> = K extends "int"
  ? number
  : K extends "bool"
    ? boolean
    : K extends "list"
      ? string[]
      : string;
export type Config = {
  readonly [K in keyof Options]: Options[K] extends { default: unknown }
    ? ValueOf<Options[K]["kind"]>
    : ValueOf<Options[K]["kind"]> | undefined;
};
export type OptionName = keyof Options;

const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

function parseValue(name: string, kind: Kind, raw: string, problems: string[]): unknown {
  if (kind === "int") {
    const n = Number(raw);
    if (!Number.isInteger(n)) problems.push(`${name} must be an integer, got "${raw}"`);
    return n;
  }
  if (kind === "bool") {
    if (!["true", "false", "1", "0"].includes(raw.toLowerCase())) {
      problems.push(`${name} must be true or false, got "${raw}"`);
    }
    return raw === "true" || raw === "1";
  }
  if (kind === "list")
    return raw
      .split(",")
      .map(s => s.trim())
      .filter(Boolean);
  return raw;
}

function validate(config: Config, problems: string[]): void {
  if (!LOG_LEVELS.includes(config.logLevel as LogLevel)) {
    problems.push(`log-level must be one of ${LOG_LEVELS.join(", ")}, got "${config.logLevel}"`);
  }
  for (const name of ["port", "metricsPort"] as const) {
    if (config[name] < 0 || config[name] > 65535)
      problems.push(`${name} (${config[name]}) is not a port`);
  }
  if (!["Fail", "Ignore"].includes(config.failurePolicy)) {
    problems.push(`failure-policy must be Fail or Ignore, got "${config.failurePolicy}"`);
  }
  if (config.timeoutSeconds < 1 || config.timeoutSeconds > 30) {
    problems.push(`timeout-seconds (${config.timeoutSeconds}) must be within 1..30`);
  }
  if (config.leaseDurationSec <= config.renewDeadlineSec) {
    problems.push(
      `lease duration (${config.leaseDurationSec}s) must exceed renew deadline (${config.renewDeadlineSec}s)`,
    );
  }
  if (config.certRotationGraceSec < 0) {
    problems.push(`cert-rotation-grace-sec (${config.certRotationGraceSec}) must not be negative`);
  }
  if (config.certRenewBeforeDays >= config.certValidityDays) {
    problems.push(
      `cert renew window (${config.certRenewBeforeDays}d) must be shorter than validity (${config.certValidityDays}d)`,
    );
  }
}

export interface LoadedConfig {
  config: Config;
  /** Arguments that are not options (images for `swap`, for instance). */
  positionals: string[];
}

/**
 * Parses flags and environment. Throws a ConfigError listing every problem.
 * @param only restricts the accepted flags to those a command uses (others are rejected).
 */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  only?: readonly OptionName[],
): LoadedConfig {
  const names = (only ?? (Object.keys(OPTIONS) as OptionName[])).slice();
  const flagSpec: Record<string, { type: "string"; multiple?: boolean }> = {};
  for (const name of names) {
    flagSpec[OPTIONS[name].flag] = { type: "string", multiple: OPTIONS[name].kind === "list" };
  }
  const problems: string[] = [];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: flagSpec,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }

  const out: Record<string, unknown> = {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const spec: OptionSpec = OPTIONS[name];
    const fromFlag = parsed.values[spec.flag] as string | string[] | undefined;
    const raw = Array.isArray(fromFlag) ? fromFlag.join(",") : (fromFlag ?? env[spec.env]);
    out[name] = raw === undefined ? spec.default : parseValue(spec.flag, spec.kind, raw, problems);
  }
  const config = out as Config;
  validate(config, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: Object.freeze(config), positionals: parsed.positionals };
}

/** The configuration for the startup log line, with secret values masked. */
export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) {
    const spec: OptionSpec = OPTIONS[name as OptionName];
    out[name] = spec.secret && value !== undefined ? "[redacted]" : value;
  }
  return out;
}
