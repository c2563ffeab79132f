import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { CoreV1Api } from "@kubernetes/client-node";
import { CERT_ANNOTATIONS, readPems } from "../../operator/certs/tls-secret.js";
import {
  deleteTestNamespace,
  kubeConfig,
  newTestNamespace,
  testCluster,
  waitFor,
} from "../cluster/test-env.js";
import { startOperatorProcess, type OperatorProcess } from "../demo/operator-process.js";
import { makeCertificate, post } from "../fixtures/admission/harness.js";
import { loadReview } from "../fixtures/admission/load.js";
import { installCrd, uniqueName } from "../integration/operator-support.js";
import { installKustomizeRbac, type InstalledRbac } from "./kustomize-rbac.js";
import { keyMaterialFindings } from "./log-scan.js";
import { getText, handshake } from "./probes.js";

// The compiled operator runs with a TokenRequest token of the ServiceAccount that config/base
// (kustomize) defines, and nothing else: it must do its job with that RBAC, refuse what a
// webhook must refuse, reveal nothing on its open endpoints, and never log key material. Its
// configuration selects a namespace label no namespace carries and fails open.

const OLD_TLS = {
  minVersion: "TLSv1",
  ciphers: "DEFAULT@SECLEVEL=0",
  rejectUnauthorized: false,
} as const;

describe("security of the operator process", () => {
  const suffix = uniqueName("sec");
  let namespace: string;
  let otherNamespace: string;
  let dir: string;
  let rbac: InstalledRbac;
  let operator: OperatorProcess;
  const keys: string[] = [];

  const core = () => kubeConfig().makeApiClient(CoreV1Api);
  const readSecret = () => core().readNamespacedSecret({ namespace, name: "imageswap-tls" });
  /** Status of one request to the apiserver with the operator's own token. */
  const asOperator = async (path: string): Promise<number> =>
    (await testCluster().request("GET", path, undefined, rbac.token)).status;

  beforeAll(async () => {
    await installCrd();
    dir = mkdtempSync(join(tmpdir(), "imageswap-security-"));
    namespace = await newTestNamespace("imageswap-sec");
    otherNamespace = await newTestNamespace("sec-other");
    await core().createNamespacedSecret({
      namespace: otherNamespace,
      body: { metadata: { name: "not-yours" }, stringData: { password: "hunter2" } },
    });
    rbac = await installKustomizeRbac(testCluster(), namespace, dir);
    operator = await startOperatorProcess({
      kubeconfigPath: rbac.kubeconfigPath,
      env: {
        IMAGESWAP_NAMESPACE: namespace,
        IMAGESWAP_WEBHOOK_CONFIG_NAME: rbac.webhookConfigName,
        IMAGESWAP_WEBHOOK_CONFIG_OWNER: rbac.clusterRoleName,
        IMAGESWAP_FAILURE_POLICY: "Ignore",
        IMAGESWAP_NAMESPACE_LABEL: `reliability.k8s.twr.io/never-${suffix}`,
        IMAGESWAP_EXTRA_SANS: "127.0.0.1",
        IMAGESWAP_CERT_ROTATION_GRACE_SEC: "1",
        IMAGESWAP_LOG_LEVEL: "debug",
      },
    });
    await operator.waitReady();
    keys.push(readPems(await readSecret()).tlsKey!);
  }, 180_000);

  afterAll(async () => {
    await operator?.stop();
    await testCluster().kubectl([
      "delete",
      "mutatingwebhookconfiguration",
      "--ignore-not-found",
      rbac?.webhookConfigName ?? suffix,
    ]);
    await rbac?.remove();
    for (const ns of [namespace, otherNamespace]) if (ns) await deleteTestNamespace(ns);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("manages its certificate with the kustomize RBAC alone: rotates it end to end", async () => {
    const before = readPems(await readSecret());

    await testCluster().kubectl([
      "annotate",
      "secret",
      "-n",
      namespace,
      "imageswap-tls",
      `${CERT_ANNOTATIONS.rotate}=true`,
    ]);
    const after = await waitFor(
      async () => {
        const secret = await readSecret();
        const stable = secret.metadata?.annotations?.[CERT_ANNOTATIONS.phase] === "Stable";
        const pems = readPems(secret);
        return stable && pems.caCrt !== before.caCrt ? pems : undefined;
      },
      { what: "rotation done", timeoutMs: 60_000 },
    );
    keys.push(after.tlsKey!);

    expect(after.tlsKey).not.toBe(before.tlsKey);
    expect(operator.output()).not.toContain('"level":"error"');
  });

  it("cannot read Secrets outside its own one", async () => {
    const own = `/api/v1/namespaces/${namespace}/secrets/imageswap-tls`;

    expect(await asOperator(own)).toBe(200);
    expect(await asOperator(`/api/v1/namespaces/${otherNamespace}/secrets/not-yours`)).toBe(403);
    expect(await asOperator(`/api/v1/namespaces/${otherNamespace}/secrets`)).toBe(403);
    expect(await asOperator("/api/v1/namespaces/kube-system/secrets")).toBe(403);
    expect(await asOperator("/api/v1/secrets")).toBe(403);
    expect(await asOperator(`/api/v1/namespaces/${namespace}/secrets`)).toBe(403);
  });

  it("speaks TLS 1.2 and 1.3 only", async () => {
    const control = await oldTlsServer();
    try {
      const controlResult = await handshake((control.address() as AddressInfo).port, {
        ...OLD_TLS,
        maxVersion: "TLSv1.1",
      });
      const tls11 = await handshake(operator.port, { ...OLD_TLS, maxVersion: "TLSv1.1" });
      const tls10 = await handshake(operator.port, { ...OLD_TLS, maxVersion: "TLSv1" });
      const tls12 = await handshake(operator.port, {
        rejectUnauthorized: false,
        maxVersion: "TLSv1.2",
      });
      const tls13 = await handshake(operator.port, {
        rejectUnauthorized: false,
        minVersion: "TLSv1.3",
      });

      // The control proves this client can speak TLS 1.1: a refusal below is the server's.
      expect(controlResult).toMatchObject({ ok: true, protocol: "TLSv1.1" });
      expect(tls11.ok).toBe(false);
      expect(tls10.ok).toBe(false);
      expect(tls12).toMatchObject({ ok: true, protocol: "TLSv1.2" });
      expect(tls13).toMatchObject({ ok: true, protocol: "TLSv1.3" });
    } finally {
      control.close();
    }
  });

  it("refuses plain HTTP on the admission port", async () => {
    const body = JSON.stringify(loadReview("pod-create"));

    const answer = await plainPost(operator.port, body);

    // Node's TLS server drops a connection that opens without a ClientHello.
    expect(answer).toMatch(/^error: |^HTTP\/1\.1 4/);
    expect(answer).not.toContain("AdmissionReview");
  });

  it("reveals no configuration or secret on /healthz, /readyz and /metrics", async () => {
    const secret = readPems(await readSecret());
    const bodies = [
      (await getText(operator.port, "/healthz", secret.caCrt)).body,
      (await getText(operator.port, "/readyz", secret.caCrt)).body,
      (await getText(operator.metricsPort, "/healthz")).body,
      (await getText(operator.metricsPort, "/readyz")).body,
      (await getText(operator.metricsPort, "/metrics")).body,
    ];
    const https = await getText(operator.port, "/metrics", secret.caCrt);
    const configValues = [
      namespace,
      rbac.webhookConfigName,
      rbac.clusterRoleName,
      rbac.kubeconfigPath,
      dir,
      operator.webhookUrl,
      suffix,
    ];

    expect(bodies[4]).toContain("imageswap_admission_requests_total");
    expect(https.status).toBe(404);
    for (const body of bodies) {
      expect(keyMaterialFindings(body, [...keys, rbac.token, testCluster().token])).toEqual([]);
      expect(configValues.filter(value => body.includes(value))).toEqual([]);
      expect(body).not.toMatch(/IMAGESWAP_|KUBECONFIG/);
    }
  });

  it("logs no key material, token or Secret data, even at debug and after bad requests", async () => {
    const ca = readPems(await readSecret()).caCrt!;
    await post(operator.port, loadReview("pod-create"), { ca });
    await post(operator.port, "{not json", { ca });
    await waitFor(() => operator.output().includes("admission"), { what: "admission logged" });
    const output = operator.output();

    // The scan finds a key however it would be logged: whole, escaped, base64, truncated.
    const key = keys[0]!;
    for (const leak of [
      key,
      JSON.stringify(key),
      Buffer.from(key).toString("base64"),
      key.slice(40, 120),
    ])
      expect(keyMaterialFindings(`{"detail":${JSON.stringify(leak)}}`, keys)).not.toEqual([]);
    expect(output).toContain("certificate");
    expect(keyMaterialFindings(output, [...keys, rbac.token, testCluster().token])).toEqual([]);
    expect(output).not.toContain("hunter2");
  });
});

/** A server that still speaks TLS 1.0 and 1.1: the control of the protocol test. */
async function oldTlsServer(): Promise<Server> {
  const cert = await makeCertificate();
  const server = createServer({
    cert: cert.cert,
    key: cert.key,
    minVersion: "TLSv1",
    ciphers: "DEFAULT@SECLEVEL=0",
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** What a plain-HTTP POST to a TLS port gets back: the raw reply text, or the socket error. */
function plainPost(port: number, body: string): Promise<string> {
  return new Promise(resolve => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/mutate",
        method: "POST",
        timeout: 5000,
        headers: { "content-type": "application/json" },
      },
      res => {
        let text = `HTTP/1.1 ${res.statusCode}\n`;
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve(text));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", err => resolve(`error: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    req.end(body);
  });
}
