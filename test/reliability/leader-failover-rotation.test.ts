import { X509Certificate } from "node:crypto";
import { AdmissionregistrationV1Api, CoordinationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { readCertificate } from "../../operator/certs/certificate-info.js";
import { CERT_ANNOTATIONS, readPems } from "../../operator/certs/tls-secret.js";
import { WEBHOOK_NAME } from "../../operator/webhook-config/webhook-configuration.js";
import {
  deleteTestNamespace,
  kubeConfig,
  newTestNamespace,
  testCluster,
  waitFor,
} from "../cluster/test-env.js";
import { startOperatorProcess, type OperatorProcess } from "../demo/operator-process.js";
import { installCrd, uniqueName } from "../integration/operator-support.js";
import { keyMaterialFindings } from "./log-scan.js";
import { handshake, untrustedReason } from "./probes.js";

// Two compiled operator processes share one Lease, Secret and MutatingWebhookConfiguration. A
// rotation is forced; while it is half done the leader is killed (SIGKILL: no lease release, no
// clean-up), the other replica takes the Lease over when it expires and must finish the rotation.
// All along, a checker makes TLS handshakes with every live replica, verifying the certificate
// against the caBundle the configuration holds at that moment, as the apiserver would.
//
// The configuration selects a namespace label no namespace carries and fails open: it can never
// get in the way of another suite.

const SECRET = "imageswap-tls";
const GRACE_SEC = 3;

interface Check {
  replica: string;
  ok: boolean;
  error?: string;
  fingerprint?: string;
  phase: string;
}

describe("leader failover during a certificate rotation", () => {
  const suffix = uniqueName("failover");
  const webhookConfigName = `imageswap-${suffix}`;
  const leaseName = `imageswap-leader-${suffix}`;
  const replicas = new Map<string, OperatorProcess>();
  const killed = new Set<string>();
  const checks: Check[] = [];
  const keys: string[] = [];
  let namespace: string;
  let phase = "Stable";
  let checking = true;
  let checker: Promise<void> | undefined;

  const core = () => kubeConfig().makeApiClient(CoreV1Api);
  const readSecret = () => core().readNamespacedSecret({ namespace, name: SECRET });
  const holder = async () =>
    (
      await kubeConfig()
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ namespace, name: leaseName })
    ).spec?.holderIdentity;
  const caBundle = async (): Promise<string | undefined> => {
    const admission = kubeConfig().makeApiClient(AdmissionregistrationV1Api);
    const config = await admission.readMutatingWebhookConfiguration({ name: webhookConfigName });
    const bundle = config.webhooks?.find(w => w.name === WEBHOOK_NAME)?.clientConfig.caBundle;
    return bundle === undefined ? undefined : Buffer.from(bundle, "base64").toString("utf8");
  };

  /**
   * One round: the current caBundle, then a handshake with every live replica and a check of the
   * certificate it presented against that bundle.
   *
   * NOTE: the check is made here, as Go's crypto/x509 (the apiserver) makes it, trying every CA
   * of the bundle, rather than by the TLS client of Node (OpenSSL picks an issuer by subject). Each
   * CA has a subject of its own since the generator names them apart
   * (test/integration/certificate-chain.test.ts checks OpenSSL verification on its own).
   */
  const checkOnce = async (): Promise<void> => {
    const ca = await caBundle();
    if (ca === undefined) return;
    for (const [identity, replica] of replicas) {
      if (killed.has(identity)) continue;
      const result = await handshake(replica.port, { rejectUnauthorized: false });
      // A replica killed while this round ran drops or refuses the connection: no TLS answer.
      if (killed.has(identity) && !result.ok) continue;
      const error = result.peer ? untrustedReason(result.peer, ca) : result.error;
      const fingerprint = result.fingerprint256;
      checks.push({ replica: identity, phase, ok: error === undefined, error, fingerprint });
    }
  };

  function start(identity: string): Promise<OperatorProcess> {
    return startOperatorProcess({
      kubeconfigPath: testCluster().kubeconfigPath,
      env: {
        IMAGESWAP_NAMESPACE: namespace,
        IMAGESWAP_IDENTITY: identity,
        IMAGESWAP_WEBHOOK_CONFIG_NAME: webhookConfigName,
        IMAGESWAP_LEASE_NAME: leaseName,
        IMAGESWAP_FAILURE_POLICY: "Ignore",
        IMAGESWAP_NAMESPACE_LABEL: `reliability.k8s.twr.io/never-${suffix}`,
        IMAGESWAP_EXTRA_SANS: "127.0.0.1",
        IMAGESWAP_CERT_ROTATION_GRACE_SEC: String(GRACE_SEC),
        IMAGESWAP_LEASE_DURATION_SEC: "4",
        IMAGESWAP_RENEW_DEADLINE_SEC: "3",
        IMAGESWAP_RETRY_PERIOD_SEC: "1",
        IMAGESWAP_LOG_LEVEL: "debug",
      },
    });
  }

  beforeAll(async () => {
    await installCrd();
    namespace = await newTestNamespace("imageswap-failover");
    for (const identity of ["replica-a", "replica-b"])
      replicas.set(identity, await start(identity));
    await Promise.all([...replicas.values()].map(r => r.waitReady()));
    await waitFor(async () => (await caBundle()) === readPems(await readSecret()).caCrt, {
      what: "configuration trusting the first CA",
    });
    checker = (async () => {
      while (checking) await checkOnce();
    })();
  }, 180_000);

  afterAll(async () => {
    checking = false;
    await checker;
    await Promise.all([...replicas.values()].map(r => r.stop()));
    await testCluster().kubectl([
      "delete",
      "mutatingwebhookconfiguration",
      webhookConfigName,
      "--ignore-not-found",
    ]);
    if (namespace) await deleteTestNamespace(namespace);
  });

  it("lets the new leader finish a rotation the old one started, every handshake trusted", async () => {
    const before = readPems(await readSecret());
    keys.push(before.tlsKey!);
    const leader = (await holder())!;
    const survivor = [...replicas.keys()].find(id => id !== leader)!;

    await testCluster().kubectl([
      "annotate",
      "secret",
      "-n",
      namespace,
      SECRET,
      `${CERT_ANNOTATIONS.rotate}=true`,
    ]);
    const killedIn = await waitFor(
      async () => {
        phase = (await readSecret()).metadata!.annotations![CERT_ANNOTATIONS.phase]!;
        return ["Trusting", "Trusted"].includes(phase) ? phase : undefined;
      },
      { what: "rotation half done", intervalMs: 20 },
    );
    const dying = replicas.get(leader)!;
    killed.add(leader);
    process.kill(dying.pid, "SIGKILL");
    const phasesAfterKill = new Set<string>();
    const finished = await waitFor(
      async () => {
        const secret = await readSecret();
        phase = secret.metadata!.annotations![CERT_ANNOTATIONS.phase]!;
        phasesAfterKill.add(phase);
        const pems = readPems(secret);
        return phase === "Stable" && pems.caCrt !== before.caCrt ? pems : undefined;
      },
      { what: "rotation finished by the new leader", timeoutMs: 60_000, intervalMs: 50 },
    );
    keys.push(finished.tlsKey!);
    const survivorPort = replicas.get(survivor)!.port;
    const newFingerprint = readCertificate(finished.tlsCrt!).fingerprint256;
    await waitFor(
      async () =>
        (await handshake(survivorPort, { ca: finished.caCrt })).fingerprint256 === newFingerprint,
      {
        what: "survivor serving the new certificate",
      },
    );
    // A few more rounds against the final caBundle, which no longer holds the old CA.
    const settled = checks.length;
    await waitFor(() => checks.length >= settled + 10, { what: "more checks" });

    const untrusted = checks.filter(c => !c.ok);
    console.log(
      `failover rotation: killed ${leader} in ${killedIn}, ${checks.length} verified handshakes, ` +
        `${untrusted.length} untrusted, phases after the kill: ${[...phasesAfterKill].join(" -> ")}`,
    );
    // At most a few entries: a broken rotation would otherwise print thousands of them.
    expect(untrusted.slice(0, 3)).toEqual([]);
    expect(await holder()).toBe(survivor);
    expect(await caBundle()).toBe(finished.caCrt);
    expect(finished.tlsCrt).not.toBe(before.tlsCrt);
    expect(checks.some(c => c.replica === survivor && c.fingerprint === newFingerprint)).toBe(true);
    // The check can fail: the new certificate is not trusted by the old bundle alone (each CA has
    // a subject of its own, so the old bundle does not even name the new issuer).
    const newCert = new X509Certificate(finished.tlsCrt!);
    expect(untrustedReason(newCert, before.caCrt!)).toBe("no CA of the bundle names the issuer");
    expect(checks.some(c => c.phase === "Serving" || c.phase === "Stable")).toBe(true);
  });

  it("records the finish under the new leader's name", async () => {
    const events = await core().listNamespacedEvent({ namespace });
    const by = (reason: string) =>
      events.items.filter(e => e.reason === reason).map(e => e.reportingInstance!);

    // NOTE: the old leader's "started" Event may be lost: it was killed right after writing the
    // Secret, and an Event is written after the Secret, as a courtesy.
    const started = by("CertificateRotationStarted");
    const finished = by("CertificateRotated");
    expect(started.every(instance => killed.has(instance))).toBe(true);
    expect(finished).toHaveLength(1);
    expect(killed.has(finished[0]!)).toBe(false);
    expect(replicas.has(finished[0]!)).toBe(true);
  });

  it("logged no key material in either process", () => {
    const outputs = [...replicas.values()].map(r => r.output()).join("\n");

    expect(keys).toHaveLength(2);
    expect(outputs).toContain("leader");
    expect(keyMaterialFindings(outputs, [...keys, testCluster().token])).toEqual([]);
  });
});
