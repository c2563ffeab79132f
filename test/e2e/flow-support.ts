import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { request as httpGet } from "node:http";
import { join } from "node:path";
import { connect } from "node:tls";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { TerminalError } from "../../webhook/errors.js";
import { testCluster, kubeConfig, waitFor } from "../cluster/test-env.js";
import { cliPath, startOperatorProcess, type OperatorProcess } from "../demo/operator-process.js";

/**
 * What the end-to-end flow needs beside the harness: the compiled operator as a child process,
 * kubectl with its warnings, Pods created the way a controller creates them, the operator's
 * metrics and the certificate it serves.
 */

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl as a user runs it: resolves with exit code, output and warnings, never rejects. */
export function kubectlResult(args: string[]): Promise<KubectlResult> {
  const cluster = testCluster();
  const binary = join(cluster.binDir, "kubectl");
  return new Promise(resolve => {
    execFile(
      binary,
      ["--kubeconfig", cluster.kubeconfigPath, ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function core(): CoreV1Api {
  return kubeConfig().makeApiClient(CoreV1Api);
}

/** A one-container Pod; `labels` e.g. the opt-out label. */
export function podBody(name: string, image: string, labels: Record<string, string> = {}): V1Pod {
  return { metadata: { name, labels }, spec: { containers: [{ name: "main", image }] } };
}

/** Creates the Pod through the apiserver (admission included) and returns what it stored. */
export function createPod(namespace: string, body: V1Pod, dryRun = false): Promise<V1Pod> {
  return core().createNamespacedPod({ namespace, body, dryRun: dryRun ? "All" : undefined });
}

/**
 * Waits until a Pod created in `namespace` comes back with `expected` as its image: the webhook
 * configuration reaches the apiserver asynchronously, so a dry run is polled.
 */
export async function waitForAdmittedImage(
  namespace: string,
  image: string,
  expected: string,
): Promise<void> {
  await waitFor(
    async () => {
      const pod = await createPod(namespace, podBody("probe", image), true);
      return pod.spec!.containers[0]!.image === expected;
    },
    { what: `${image} admitted as ${expected} in ${namespace}` },
  );
}

/** Sum of one metric's samples whose labels include `labels`, read from /metrics. */
export async function scrapeMetric(
  port: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = httpGet({ host: "127.0.0.1", port, path: "/metrics", timeout: 5000 }, res => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return text
    .split("\n")
    .filter(line => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter(line => wanted.every(pair => line.includes(pair)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** SHA-256 fingerprint of the certificate the server on `port` presents now. */
export function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // NOTE: unverified on purpose: the test compares the fingerprint itself.
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on("error", reject);
  });
}

export interface FlowOperatorOptions {
  kubeconfigPath: string;
  namespace: string;
  webhookConfigName: string;
  leaseName: string;
  failurePolicy: "Fail" | "Ignore";
}

/** The compiled `imageswap operator`, owning certificate and configuration, ready to serve. */
export async function startFlowOperator(options: FlowOperatorOptions): Promise<OperatorProcess> {
  if (!existsSync(cliPath())) {
    throw new TerminalError(`${cliPath()} is missing: run "npm run build" (make test does)`);
  }
  const operator = await startOperatorProcess({
    kubeconfigPath: options.kubeconfigPath,
    env: {
      IMAGESWAP_NAMESPACE: options.namespace,
      IMAGESWAP_WEBHOOK_CONFIG_NAME: options.webhookConfigName,
      IMAGESWAP_LEASE_NAME: options.leaseName,
      IMAGESWAP_FAILURE_POLICY: options.failurePolicy,
      IMAGESWAP_EXTRA_SANS: "127.0.0.1",
      IMAGESWAP_CERT_ROTATION_GRACE_SEC: "2",
      IMAGESWAP_LEASE_DURATION_SEC: "4",
      IMAGESWAP_RENEW_DEADLINE_SEC: "3",
      IMAGESWAP_RETRY_PERIOD_SEC: "1",
    },
  });
  await operator.waitReady();
  return operator;
}
