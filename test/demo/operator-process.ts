import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { request } from "node:https";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TerminalError } from "../../webhook/errors.js";
import { findRepoRoot } from "../cluster/bins.js";
import { freePort } from "../cluster/processes.js";

/**
 * `imageswap operator` as a child process on 127.0.0.1, the way the demo and the chart install
 * test run it: the compiled CLI (`npm run build` first), configured only through its IMAGESWAP_*
 * variables, talking to the apiserver with the kubeconfig it is given.
 */

export interface OperatorProcessOptions {
  /** Kubeconfig the operator uses: the admin one, or one holding a ServiceAccount token. */
  kubeconfigPath: string;
  /** IMAGESWAP_* variables; port, metrics port, bind address and webhook URL are added. */
  env: Record<string, string>;
  /** Called with every chunk the process writes (stdout and stderr). */
  onOutput?: (chunk: string) => void;
}

export interface OperatorProcess {
  readonly pid: number;
  /** HTTPS port of the webhook, /healthz and /readyz. */
  readonly port: number;
  readonly metricsPort: number;
  /** The URL the webhook configuration points the apiserver at. */
  readonly webhookUrl: string;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves once /readyz answers 200; rejects early when the process exits. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** The compiled CLI entry point. */
export function cliPath(): string {
  return join(findRepoRoot(), "dist", "operator", "cli", "main.js");
}

/** Starts the operator; it is not ready yet when this resolves (see `waitReady`). */
export async function startOperatorProcess(
  options: OperatorProcessOptions,
): Promise<OperatorProcess> {
  const port = await freePort();
  const metricsPort = await freePort();
  const webhookUrl = `https://127.0.0.1:${port}/mutate`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    KUBECONFIG: options.kubeconfigPath,
    ...options.env,
    IMAGESWAP_PORT: String(port),
    IMAGESWAP_METRICS_PORT: String(metricsPort),
    IMAGESWAP_BIND_ADDRESS: "127.0.0.1",
    IMAGESWAP_WEBHOOK_URL: webhookUrl,
  };
  const child = spawn(process.execPath, [cliPath(), "operator"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const addresses = { port, metricsPort, webhookUrl };
  return new RunningOperator(child, addresses, options.onOutput);
}

class RunningOperator implements OperatorProcess {
  readonly port: number;
  readonly metricsPort: number;
  readonly webhookUrl: string;
  private text = "";
  private exited: { code: number | null; signal: string | null } | undefined;

  constructor(
    private readonly child: ChildProcess,
    addresses: { port: number; metricsPort: number; webhookUrl: string },
    onOutput?: (chunk: string) => void,
  ) {
    ({ port: this.port, metricsPort: this.metricsPort, webhookUrl: this.webhookUrl } = addresses);
    const collect = (chunk: string): void => {
      this.text += chunk;
      onOutput?.(chunk);
    };
    child.stdout?.setEncoding("utf8").on("data", collect);
    child.stderr?.setEncoding("utf8").on("data", collect);
    child.on("exit", (code, signal) => (this.exited = { code, signal }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  output(): string {
    return this.text;
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) {
        const tail = this.text.split("\n").slice(-20).join("\n");
        throw new TerminalError(
          `operator exited (${this.exited.code ?? this.exited.signal}):\n${tail}`,
        );
      }
      if ((await probe(this.port, "/readyz")) === 200) return;
      await sleep(250);
    }
    throw new TerminalError(`operator not ready on port ${this.port} after ${timeoutMs} ms`);
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    const gone = once(this.child, "exit");
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

/** Status of one GET on the local HTTPS server, 0 when nothing answers. */
function probe(port: number, path: string): Promise<number> {
  return new Promise(resolve => {
    // NOTE: the operator serves a certificate of its own CA; only reachability is checked here.
    const req = request(
      { host: "127.0.0.1", port, path, method: "GET", rejectUnauthorized: false, timeout: 2000 },
      res => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}
