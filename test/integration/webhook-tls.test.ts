import { X509Certificate } from "node:crypto";
import { connect } from "node:tls";
import type { SecureVersion } from "node:tls";
import { Agent, request } from "node:https";
import { loadReview } from "../fixtures/admission/load.js";
import type { Harness, TestCertificate } from "../fixtures/admission/harness.js";
import {
  MIRROR_POLICY,
  getPlain,
  makeCertificate,
  metricValue,
  post,
  startHarness,
  untilCount,
  waitForLine,
} from "../fixtures/admission/harness.js";
import { TlsError } from "../../webhook/errors.js";

/** Connects with TLS limited to one version; resolves the negotiated protocol or the error code. */
function handshake(port: number, ca: string, version: SecureVersion): Promise<string> {
  return new Promise(resolve => {
    const socket = connect(
      { host: "127.0.0.1", port, ca, minVersion: version, maxVersion: version },
      () => {
        resolve(socket.getProtocol() ?? "none");
        socket.end();
      },
    );
    socket.on("error", (err: NodeJS.ErrnoException) => resolve(`error:${err.code ?? err.message}`));
  });
}

/** POSTs a review and reports which certificate the server presented. */
function fingerprintOf(
  port: number,
  ca: string[],
  agent: Agent | false,
): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/mutate",
        method: "POST",
        ca,
        agent,
        headers: { "content-type": "application/json" },
      },
      res => {
        const fingerprint = (res.socket as import("node:tls").TLSSocket).getPeerCertificate()
          .fingerprint256;
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, fingerprint }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(loadReview("pod-create")));
  });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe("webhook TLS", () => {
  let h: Harness;
  let second: TestCertificate;

  beforeAll(async () => {
    h = await startHarness({ certReloadFailureBudget: 3 });
    h.publish({ mirror: MIRROR_POLICY }, 1);
    second = await makeCertificate({ commonName: "imageswap-next" });
  });

  afterAll(async () => {
    await h.server.close();
  });

  it("speaks TLS 1.2 and 1.3 and refuses older versions", async () => {
    expect(await handshake(h.server.port, h.certificate.ca, "TLSv1.3")).toBe("TLSv1.3");
    expect(await handshake(h.server.port, h.certificate.ca, "TLSv1.2")).toBe("TLSv1.2");
    expect(await handshake(h.server.port, h.certificate.ca, "TLSv1.1")).toMatch(/^error:/);
  });

  it("exports the certificate's expiry", async () => {
    const notAfter = new Date(new X509Certificate(h.certificate.cert).validTo).getTime() / 1000;

    expect(await metricValue(h.metrics, "imageswap_certificate_expiry_timestamp_seconds")).toBe(
      Math.floor(notAfter),
    );
  });

  it("swaps certificates under load without failing a single request", async () => {
    const cas = [h.certificate.ca, second.ca];
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });
    const results: Array<{ status: number; fingerprint: string }> = [];
    const errors: unknown[] = [];
    let running = true;
    const worker = async (agent: Agent | false) => {
      while (running)
        await fingerprintOf(h.server.port, cas, agent).then(
          r => results.push(r),
          e => errors.push(e),
        );
    };
    const workers = [worker(false), worker(false), worker(keepAlive), worker(keepAlive)];

    // Each swap waits for 20 more answers, so every certificate serves new connections under load.
    const answered = () => results.length + errors.length;
    for (let i = 1; i <= 6; i++) {
      await untilCount(answered, i * 20);
      const pair = i % 2 === 1 ? second : h.certificate;
      expect(h.server.tls.update({ cert: pair.cert, key: pair.key }, "test")).toBe(true);
    }
    await untilCount(answered, 140);
    running = false;
    await Promise.all(workers);
    keepAlive.destroy();

    expect(errors).toEqual([]);
    expect(results.every(r => r.status === 200)).toBe(true);
    const seen = new Set(results.map(r => r.fingerprint));
    expect(seen).toEqual(new Set([fingerprint(h.certificate.cert), fingerprint(second.cert)]));
    expect(h.server.tls.current()?.cert).toBe(h.certificate.cert);
  });

  it("treats an identical pair as no change", async () => {
    const before = await metricValue(h.metrics, "imageswap_certificate_reloads_total", {
      result: "success",
    });

    expect(h.server.tls.update({ cert: h.certificate.cert, key: h.certificate.key }, "test")).toBe(
      true,
    );

    expect(
      await metricValue(h.metrics, "imageswap_certificate_reloads_total", { result: "success" }),
    ).toBe(before);
  });

  it("refuses a key that does not match, keeps serving the old pair, and logs no key material", async () => {
    const before = await metricValue(h.metrics, "imageswap_certificate_reloads_total", {
      result: "error",
    });

    const accepted = h.server.tls.update({ cert: second.cert, key: h.certificate.key }, "test");

    expect(accepted).toBe(false);
    expect(
      await metricValue(h.metrics, "imageswap_certificate_reloads_total", { result: "error" }),
    ).toBe(before + 1);
    const served = await fingerprintOf(h.server.port, [h.certificate.ca, second.ca], false);
    expect(served.fingerprint).toBe(fingerprint(h.certificate.cert));
    const warn = h.lines
      .filter(l => l.message === "certificate rejected; keeping the current one")
      .at(-1);
    expect(warn).toMatchObject({ level: "warn", source: "test", failures: 1 });
    expect(JSON.stringify(h.lines)).not.toMatch(/PRIVATE KEY/);
    h.server.tls.update({ cert: h.certificate.cert, key: h.certificate.key }, "reset");
  });

  it("refuses an expired certificate and text that is not PEM", async () => {
    const expired = await makeCertificate({ notAfter: new Date(Date.now() - 1000) });

    expect(h.server.tls.update({ cert: expired.cert, key: expired.key }, "test")).toBe(false);
    expect(h.server.tls.update({ cert: "not a certificate", key: "nor a key" }, "test")).toBe(
      false,
    );
    expect(h.server.tls.update({ cert: second.cert, key: "nor a key" }, "test")).toBe(false);
    expect(h.server.tls.ready()).toBe(false);
  });

  it("turns not ready after the failure budget and ready again on a good pair", async () => {
    expect(h.server.tls.ready()).toBe(false);
    expect((await getPlain(h.server.metricsPort, "/readyz")).status).toBe(503);
    expect(
      (await post(h.server.port, "", { ca: h.certificate.ca, path: "/readyz", method: "GET" }))
        .status,
    ).toBe(503);

    expect(h.server.tls.update({ cert: second.cert, key: second.key }, "test")).toBe(true);

    expect(h.server.tls.ready()).toBe(true);
    expect((await getPlain(h.server.metricsPort, "/readyz")).json).toEqual({
      ready: true,
      table: true,
      certificate: true,
    });
    expect(
      h.lines.some(l => l.message === "certificate reload failure budget spent; not ready"),
    ).toBe(true);
  });
});

describe("webhook readiness and endpoints", () => {
  it("starts without a certificate, not ready, and serves once one arrives", async () => {
    const h = await startHarness({ certificate: undefined });
    try {
      const ready = await getPlain(h.server.metricsPort, "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.json).toEqual({ ready: false, table: false, certificate: false });
      await expect(
        post(h.server.port, loadReview("pod-create"), { ca: h.certificate.ca }),
      ).rejects.toThrow();

      h.server.tls.update({ cert: h.certificate.cert, key: h.certificate.key }, "later");
      h.publish({ mirror: MIRROR_POLICY }, 1);

      expect(
        (await post(h.server.port, loadReview("pod-create"), { ca: h.certificate.ca })).status,
      ).toBe(200);
      expect((await getPlain(h.server.metricsPort, "/readyz")).status).toBe(200);
    } finally {
      await h.server.close();
    }
  });

  it("is not ready until a swap table is published", async () => {
    const h = await startHarness();
    try {
      expect((await getPlain(h.server.metricsPort, "/readyz")).json).toEqual({
        ready: false,
        table: false,
        certificate: true,
      });
      expect((await getPlain(h.server.metricsPort, "/healthz")).status).toBe(200);

      const res = await post(h.server.port, loadReview("pod-create"), { ca: h.certificate.ca });

      expect(res.json.response).toMatchObject({
        allowed: true,
        warnings: ["no swap table loaded yet; images left unchanged"],
      });
    } finally {
      await h.server.close();
    }
  });

  it("serves /metrics on the plain port only, probes on both", async () => {
    const h = await startHarness();
    try {
      const metrics = await getPlain(h.server.metricsPort, "/metrics");
      const ca = h.certificate.ca;

      expect(metrics.status).toBe(200);
      expect(metrics.headers["content-type"]).toMatch(/^text\/plain/);
      expect(metrics.text).toMatch(/^imageswap_certificate_reloads_total\{result="success"\} 1$/m);
      expect((await post(h.server.port, "", { ca, path: "/metrics", method: "GET" })).status).toBe(
        404,
      );
      expect((await post(h.server.port, "", { ca, path: "/healthz", method: "GET" })).text).toBe(
        "ok",
      );
      expect((await getPlain(h.server.metricsPort, "/nothing")).status).toBe(404);
    } finally {
      await h.server.close();
    }
  });

  it("access-logs requests at debug, but never probes", async () => {
    const h = await startHarness({}, { logLevel: "debug" });
    try {
      await getPlain(h.server.metricsPort, "/readyz");
      await post(h.server.port, "", { ca: h.certificate.ca, path: "/healthz", method: "GET" });
      await post(h.server.port, "", { ca: h.certificate.ca, path: "/readyz", method: "GET" });
      await post(h.server.port, "", { ca: h.certificate.ca, path: "/elsewhere", method: "GET" });

      await waitForLine(h.lines, l => l.message === "request completed");
      const accessed = h.lines.filter(l => l.message === "request completed");
      expect(accessed).toEqual([expect.objectContaining({ path: "/elsewhere", status: 404 })]);
    } finally {
      await h.server.close();
    }
  });

  it("refuses to start with an unusable initial certificate", async () => {
    const a = await makeCertificate();
    const b = await makeCertificate();

    await expect(startHarness({ certificate: { cert: a.cert, key: b.key } })).rejects.toThrow(
      TlsError,
    );
  });

  it("rejects when the metrics port is taken", async () => {
    const h = await startHarness();
    try {
      await expect(startHarness({ metricsPort: h.server.metricsPort })).rejects.toThrow(
        /EADDRINUSE/,
      );
    } finally {
      await h.server.close();
    }
  });

  it("lets an in-flight request finish on close", async () => {
    const h = await startHarness();
    h.publish({ mirror: MIRROR_POLICY }, 1);
    const body = JSON.stringify(loadReview("pod-create"));
    const headers = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      expect: "100-continue",
    };
    const req = request({
      host: "127.0.0.1",
      port: h.server.port,
      path: "/mutate",
      method: "POST",
      ca: h.certificate.ca,
      agent: false,
      headers,
    });
    const response = new Promise<number>((resolve, reject) => {
      req.on("response", res => res.resume().on("end", () => resolve(res.statusCode ?? 0)));
      req.on("error", reject);
    });
    // "100 Continue" proves the server has parsed the headers: the request is in flight.
    await new Promise(resolve => req.once("continue", resolve));

    const closed = h.server.close();
    req.end(body);

    expect(await response).toBe(200);
    await closed;
    await expect(
      post(h.server.port, loadReview("pod-create"), { ca: h.certificate.ca }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
