import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import type { ImageSwapPolicySpec } from "../../webhook/swap/index.js";
import { TerminalError } from "../../webhook/errors.js";
import { freePort } from "../cluster/processes.js";
import { cliPath } from "../demo/operator-process.js";
import { makeCertificate, type TestCertificate } from "../fixtures/admission/harness.js";
import { httpsStatus } from "./probes.js";

/**
 * The compiled `imageswap webhook` (standalone mode) as a child process on 127.0.0.1: the real
 * process, so that a crash shows as an exit and its whole log stream can be scanned.
 */

export interface WebhookProcess {
  readonly port: number;
  readonly metricsPort: number;
  readonly certificate: TestCertificate;
  /** Exit code or signal once the process has ended. */
  exited(): string | undefined;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the webhook serving `spec` with a fresh certificate; resolves once /readyz is 200. */
export async function startWebhookProcess(
  spec: ImageSwapPolicySpec,
  logLevel = "debug",
): Promise<WebhookProcess> {
  const dir = mkdtempSync(join(tmpdir(), "imageswap-reliability-"));
  const certificate = await makeCertificate();
  const policy = { apiVersion: "k8s.twr.io/v1alpha1", kind: "ImageSwapPolicy" };
  writeFileSync(
    join(dir, "policy.yaml"),
    stringify({ ...policy, metadata: { name: "fuzz" }, spec }),
  );
  writeFileSync(join(dir, "tls.crt"), certificate.cert);
  writeFileSync(join(dir, "tls.key"), certificate.key, { mode: 0o600 });
  const [port, metricsPort] = [await freePort(), await freePort()];
  const args = [cliPath(), "webhook", "--policy", join(dir, "policy.yaml")];
  args.push("--tls-cert", join(dir, "tls.crt"), "--tls-key", join(dir, "tls.key"));
  args.push(`--port=${port}`, `--metrics-port=${metricsPort}`, "--bind-address=127.0.0.1");
  args.push(`--log-level=${logLevel}`);
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const running = new RunningWebhook(child, { port, metricsPort, certificate, dir });
  await running.waitReady();
  return running;
}

class RunningWebhook implements WebhookProcess {
  readonly port: number;
  readonly metricsPort: number;
  readonly certificate: TestCertificate;
  private readonly dir: string;
  private text = "";
  private exit: string | undefined;

  constructor(
    private readonly child: ChildProcess,
    o: { port: number; metricsPort: number; certificate: TestCertificate; dir: string },
  ) {
    ({ port: this.port, metricsPort: this.metricsPort, certificate: this.certificate } = o);
    this.dir = o.dir;
    const collect = (chunk: string): void => void (this.text += chunk);
    child.stdout?.setEncoding("utf8").on("data", collect);
    child.stderr?.setEncoding("utf8").on("data", collect);
    child.on("exit", (code, signal) => (this.exit = String(code ?? signal)));
  }

  exited(): string | undefined {
    return this.exit;
  }

  output(): string {
    return this.text;
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit !== undefined) {
        throw new TerminalError(
          `imageswap webhook exited (${this.exit}): ${this.text.slice(-2000)}`,
        );
      }
      if ((await httpsStatus(this.port, "/readyz")) === 200) return;
      await sleep(100);
    }
    throw new TerminalError(
      `imageswap webhook not ready on port ${this.port} after ${timeoutMs} ms`,
    );
  }

  async stop(): Promise<void> {
    if (this.exit === undefined) {
      const gone = once(this.child, "exit");
      this.child.kill("SIGTERM");
      await gone;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
