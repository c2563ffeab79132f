import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { TerminalError } from "../../webhook/errors.js";

/** How tests and tools reach a running control plane: no lifecycle, just access. */
export interface ClusterEndpoint {
  /** Admin kubeconfig (token auth, CA file), mode 0600. */
  kubeconfigPath: string;
  /** `https://127.0.0.1:<port>` */
  server: string;
  /** PEM of the apiserver's self-signed serving certificate, which is its own CA. */
  caFile: string;
  /** Admin bearer token (group `system:masters`). Never log it. */
  token: string;
  /** Directory holding etcd, kube-apiserver, kube-controller-manager, kubectl, helm. */
  binDir: string;
}

export interface CommandOptions {
  /** Written to the command's stdin, e.g. a manifest for `apply -f -`. */
  input?: string;
  /** @default 60_000 */
  timeoutMs?: number;
}

export interface HttpResult {
  status: number;
  body: string;
}

/** Runs the built kubectl and helm against one cluster, and raw HTTPS requests to it. */
export class ClusterAccess implements ClusterEndpoint {
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly caFile: string;
  readonly token: string;
  readonly binDir: string;

  constructor(endpoint: ClusterEndpoint) {
    this.kubeconfigPath = endpoint.kubeconfigPath;
    this.server = endpoint.server;
    this.caFile = endpoint.caFile;
    this.token = endpoint.token;
    this.binDir = endpoint.binDir;
  }

  /** The endpoint fields alone, safe to pass around (still holds the token: never log it). */
  endpoint(): ClusterEndpoint {
    const { kubeconfigPath, server, caFile, token, binDir } = this;
    return { kubeconfigPath, server, caFile, token, binDir };
  }

  /**
   * Runs `kubectl --kubeconfig <admin> ...args` and resolves to its stdout.
   * @throws TerminalError with the exit code and stderr when kubectl fails
   */
  kubectl(args: string[], options: CommandOptions = {}): Promise<string> {
    return this.run("kubectl", ["--kubeconfig", this.kubeconfigPath, ...args], options);
  }

  /** Runs `helm --kubeconfig <admin> ...args`; same contract as `kubectl`. */
  helm(args: string[], options: CommandOptions = {}): Promise<string> {
    return this.run("helm", ["--kubeconfig", this.kubeconfigPath, ...args], options);
  }

  /**
   * One HTTPS request to the apiserver as admin (or with `token`), verified against the CA.
   * Resolves with any status; rejects only when no response arrives (e.g. apiserver down).
   */
  request(method: string, path: string, body?: unknown, token = this.token): Promise<HttpResult> {
    const ca = readFileSync(this.caFile);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
    }
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.server), { method, ca, headers, timeout: 10_000 });
      req.on("timeout", () => req.destroy(new TerminalError(`${method} ${path} timed out`)));
      req.on("error", reject);
      req.on("response", res => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.end(payload);
    });
  }

  private run(binary: string, args: string[], options: CommandOptions): Promise<string> {
    const path = join(this.binDir, binary);
    return new Promise((resolve, reject) => {
      const child = execFile(
        path,
        args,
        { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) {
            // The token sits in the kubeconfig file, never on the command line, so args are safe.
            const what = `${binary} ${args.slice(2).join(" ")}`;
            reject(
              new TerminalError(`${what} failed (${err.code ?? err.signal}): ${stderr.trim()}`),
            );
            return;
          }
          resolve(stdout);
        },
      );
      child.stdin?.end(options.input);
    });
  }
}
