import type { V1MutatingWebhookConfiguration, V1Secret } from "@kubernetes/client-node";
import { CoreV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { generateCertificates } from "../../operator/certs/cert-generator.js";
import { trustedFingerprints } from "../../operator/certs/cert-reconciler.js";
import type { GeneratedCertificates } from "../../operator/certs/cert-generator.js";
import {
  findIssuer,
  readCertificate,
  servingNames,
  splitPemBundle,
} from "../../operator/certs/certificate-info.js";
import { CERT_ANNOTATIONS, readPems } from "../../operator/certs/tls-secret.js";
import {
  BREAK_GLASS_ANNOTATION,
  WEBHOOK_NAME,
} from "../../operator/webhook-config/webhook-configuration.js";
import {
  deleteTestNamespace,
  kubeConfig,
  newTestNamespace,
  testCluster,
  waitFor,
} from "../cluster/test-env.js";
import type { ReconcilerHarness } from "./reconciler-harness.js";
import { createReconcilerHarness, uniqueSuffix } from "./reconciler-harness.js";

// The leader's certificate and webhook-configuration reconcilers and the replica's Secret
// watcher, in-process against the real apiserver. Every configuration here selects a namespace
// label no namespace carries and fails open, so it can never get in another suite's way.

const suffix = uniqueSuffix();
const namespaces: string[] = [];
const webhookConfigNames: string[] = [];
const harnesses: ReconcilerHarness[] = [];
const kubectl = (...args: string[]) => testCluster().kubectl(args);

async function startHarness(extra: string[] = [], namespace?: string): Promise<ReconcilerHarness> {
  const ns = namespace ?? (await newTestNamespace("imageswap-certs"));
  const name = `imageswap-e2e-${suffix}-${webhookConfigNames.length}`;
  namespaces.push(ns);
  webhookConfigNames.push(name);
  const harness = createReconcilerHarness([
    ...["--namespace", ns, "--webhook-config-name", name, "--failure-policy", "Ignore"],
    ...["--namespace-label", `e2e.k8s.twr.io/never-${suffix}`, "--extra-san", "127.0.0.1"],
    ...["--webhook-url", "https://127.0.0.1:9/mutate", "--cert-rotation-grace-sec", "1"],
    ...extra,
  ]);
  harnesses.push(harness);
  await harness.start();
  return harness;
}

function webhookOf(config: V1MutatingWebhookConfiguration | undefined) {
  return config?.webhooks?.find(w => w.name === WEBHOOK_NAME);
}

function caBundleOf(config: V1MutatingWebhookConfiguration | undefined): string | undefined {
  const bundle = webhookOf(config)?.clientConfig.caBundle;
  return bundle === undefined ? undefined : Buffer.from(bundle, "base64").toString("utf8");
}

function readLive(h: ReconcilerHarness): Promise<V1MutatingWebhookConfiguration> {
  return h.clients.admission.readMutatingWebhookConfiguration({
    name: h.config.webhookConfigName,
  });
}

async function liveExists(h: ReconcilerHarness): Promise<boolean> {
  const name = h.config.webhookConfigName;
  const out = await kubectl("get", "mutatingwebhookconfiguration", name, "--ignore-not-found");
  return out.trim() !== "";
}

function readSecret(h: ReconcilerHarness): Promise<V1Secret> {
  const { namespace, tlsSecretName: name } = h.config;
  return h.clients.core.readNamespacedSecret({ namespace, name });
}

function waitForTrustedSecret(h: ReconcilerHarness): Promise<V1Secret> {
  return waitFor(
    async () => {
      const secret = await readSecret(h);
      const live = await readLive(h);
      return caBundleOf(live) === readPems(secret).caCrt ? secret : undefined;
    },
    { what: "configuration trusting the Secret's ca.crt" },
  );
}

async function reconcileCount(h: ReconcilerHarness): Promise<number> {
  const { values } = await h.metrics.reconcileTotal.get();
  return values
    .filter(v => v.labels.controller === "webhook-config")
    .reduce((sum, v) => sum + v.value, 0);
}

/** Changes the Secret and waits until the configuration reconciler has run again. */
async function pokeAndWait(h: ReconcilerHarness, value: string): Promise<void> {
  const before = await reconcileCount(h);
  const { namespace, tlsSecretName } = h.config;
  await kubectl(
    "annotate",
    "--overwrite",
    "secret",
    "-n",
    namespace,
    tlsSecretName,
    `e2e/poke=${value}`,
  );
  await waitFor(async () => (await reconcileCount(h)) > before, { what: "another reconcile" });
}

function tlsSecretBody(name: string, pems: GeneratedCertificates): V1Secret {
  const data = { "tls.crt": pems.servingCert, "tls.key": pems.servingKey, "ca.crt": pems.caCert };
  return { metadata: { name }, type: "kubernetes.io/tls", stringData: data };
}

afterAll(async () => {
  for (const harness of harnesses) await harness.stop();
  for (const name of webhookConfigNames) {
    await kubectl("delete", "mutatingwebhookconfiguration", name, "--ignore-not-found");
  }
  for (const namespace of namespaces) await deleteTestNamespace(namespace);
});

describe("certificate and webhook configuration reconcilers on the real apiserver", () => {
  let h: ReconcilerHarness;

  beforeAll(async () => {
    h = await startHarness();
  });

  it("creates the TLS Secret and a configuration that trusts its CA", async () => {
    const secret = await waitForTrustedSecret(h);

    const pems = readPems(secret);
    const serving = readCertificate(pems.tlsCrt!);
    expect(secret.type).toBe("kubernetes.io/tls");
    expect(secret.metadata!.annotations![CERT_ANNOTATIONS.phase]).toBe("Stable");
    expect(splitPemBundle(pems.caCrt!)).toHaveLength(1);
    expect(findIssuer(pems.tlsCrt!, pems.caCrt!)).toBeDefined();
    expect(serving.ipAddresses).toEqual(["127.0.0.1"]);
    expect(serving.dnsNames).toEqual(servingNames("imageswap", h.config.namespace, []).dnsNames);
    const days = (serving.notAfter.getTime() - Date.now()) / 86400000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThanOrEqual(365);
    await waitFor(() => h.served.at(-1)?.cert === pems.tlsCrt, { what: "pair handed over" });
  });

  it("applies its fields with server-side apply under its own field manager", async () => {
    const live = await readLive(h);

    const webhook = webhookOf(live)!;
    expect(webhook.clientConfig.url).toBe("https://127.0.0.1:9/mutate");
    expect(webhook).toMatchObject({
      failurePolicy: "Ignore",
      reinvocationPolicy: "IfNeeded",
      sideEffects: "None",
    });
    expect(webhook.namespaceSelector!.matchExpressions).toContainEqual({
      key: "kubernetes.io/metadata.name",
      operator: "NotIn",
      values: [h.config.namespace, "kube-system"],
    });
    const managers = live.metadata!.managedFields!.map(entry => [entry.manager, entry.operation]);
    expect(managers).toContainEqual(["imageswap-operator", "Apply"]);
  });

  it("takes back drift in its own fields and leaves a foreign label alone", async () => {
    const name = h.config.webhookConfigName;
    const drift = '[{"op":"replace","path":"/webhooks/0/timeoutSeconds","value":29}]';
    await kubectl("label", "mutatingwebhookconfiguration", name, "example.com/team=platform");
    await kubectl("patch", "mutatingwebhookconfiguration", name, "--type=json", "-p", drift);

    const live = await waitFor(
      async () => {
        const config = await readLive(h);
        return webhookOf(config)?.timeoutSeconds === 5 ? config : undefined;
      },
      { what: "timeoutSeconds restored" },
    );
    expect(live.metadata!.labels!["example.com/team"]).toBe("platform");
  });

  it("brings the configuration back when someone deletes it", async () => {
    const before = await readLive(h);

    await kubectl("delete", "mutatingwebhookconfiguration", h.config.webhookConfigName);

    const after = await waitFor(
      async () => {
        const config = await readLive(h);
        return config.metadata!.uid !== before.metadata!.uid ? config : undefined;
      },
      { what: "configuration re-created" },
    );
    expect(caBundleOf(after)).toBe(caBundleOf(before));
  });

  it("removes its webhook while the break-glass annotation is set, across reconciles", async () => {
    const name = h.config.webhookConfigName;
    await kubectl(
      "annotate",
      "mutatingwebhookconfiguration",
      name,
      `${BREAK_GLASS_ANNOTATION}=true`,
    );
    await waitFor(async () => webhookOf(await readLive(h)) === undefined, { what: "removal" });

    await pokeAndWait(h, "break-glass");

    const live = await readLive(h);
    expect(webhookOf(live)).toBeUndefined();
    expect(live.metadata!.annotations![BREAK_GLASS_ANNOTATION]).toBe("true");

    await kubectl("annotate", "mutatingwebhookconfiguration", name, `${BREAK_GLASS_ANNOTATION}-`);
    await waitFor(async () => webhookOf(await readLive(h)) !== undefined, { what: "restore" });
  });

  it("rotates CA and serving certificate on request, trusting the new CA before serving it", async () => {
    const start = await waitForTrustedSecret(h);
    const oldPems = readPems(start);
    const phases: string[] = [];
    const servedUntrusted: string[] = [];
    const off = h.secrets.onChange(({ object }) => {
      const phase = object.metadata?.annotations?.[CERT_ANNOTATIONS.phase] ?? "";
      if (phases.at(-1) !== phase) phases.push(phase);
      const { tlsCrt, caCrt } = readPems(object);
      const issuer = tlsCrt && caCrt ? findIssuer(tlsCrt, caCrt) : undefined;
      const live = h.webhookConfigs.get(h.config.webhookConfigName);
      const trusted = trustedFingerprints(live) ?? [];
      if (issuer && !trusted.includes(readCertificate(issuer).fingerprint256)) {
        servedUntrusted.push(phase);
      }
    });

    const { namespace, tlsSecretName } = h.config;
    await kubectl(
      "annotate",
      "secret",
      "-n",
      namespace,
      tlsSecretName,
      `${CERT_ANNOTATIONS.rotate}=true`,
    );
    const done = await waitFor(
      async () => {
        const secret = await readSecret(h);
        const stable = secret.metadata!.annotations![CERT_ANNOTATIONS.phase] === "Stable";
        return stable && readPems(secret).tlsCrt !== oldPems.tlsCrt ? secret : undefined;
      },
      { what: "rotation finished", timeoutMs: 60_000 },
    );
    off();

    const pems = readPems(done);
    expect(servedUntrusted).toEqual([]);
    expect(phases).toEqual(expect.arrayContaining(["Trusting", "Trusted", "Serving", "Stable"]));
    expect(splitPemBundle(pems.caCrt!)).toHaveLength(1);
    expect(pems.caCrt).not.toBe(oldPems.caCrt);
    expect(done.metadata!.annotations![CERT_ANNOTATIONS.rotate]).toBeUndefined();
    await waitForTrustedSecret(h);
    await waitFor(() => h.served.at(-1)?.cert === pems.tlsCrt, { what: "new pair handed over" });
    const events = await h.clients.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.name=${tlsSecretName}`,
    });
    expect(events.items.map(event => event.reason)).toEqual(
      expect.arrayContaining([
        "CertificateIssued",
        "CertificateRotationStarted",
        "CertificatePromoted",
        "CertificateRotated",
      ]),
    );
  });
});

describe("a certificate Secret the user brings", () => {
  it("is served and trusted, follows the user's renewal, and is never written", async () => {
    const namespace = await newTestNamespace("imageswap-byo");
    const names = servingNames("imageswap", namespace, ["127.0.0.1"]);
    const issue = () =>
      generateCertificates({ commonName: "byo", names, validityDays: 30, now: new Date() });
    const own = await issue();
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const created = await core.createNamespacedSecret({
      namespace,
      body: tlsSecretBody("user-tls", own),
    });
    const h = await startHarness(
      ["--tls-secret", "user-tls", "--manage-certificate=false"],
      namespace,
    );

    await waitFor(async () => caBundleOf(await readLive(h)) === own.caCert, { what: "user CA" });
    await waitFor(() => h.served.at(-1)?.cert === own.servingCert, { what: "user pair" });
    const renewed = await issue();
    await core.replaceNamespacedSecret({
      namespace,
      name: "user-tls",
      body: { ...tlsSecretBody("user-tls", renewed), metadata: created.metadata },
    });
    await waitFor(async () => caBundleOf(await readLive(h)) === renewed.caCert, { what: "new CA" });
    await waitFor(() => h.served.at(-1)?.cert === renewed.servingCert, { what: "new pair" });

    const secret = await readSecret(h);
    const writers = secret.metadata!.managedFields!.map(entry => entry.manager);
    expect(writers).not.toContain("imageswap-operator");
    expect(secret.metadata!.annotations?.[CERT_ANNOTATIONS.phase]).toBeUndefined();
    expect(secret.metadata!.uid).toBe(created.metadata!.uid);
  });
});

describe("a configuration owned by a ClusterRole", () => {
  it("names its owner, and once the owner's deletion removed it, is not re-created", async () => {
    const rbac = kubeConfig().makeApiClient(RbacAuthorizationV1Api);
    const owner = `imageswap-e2e-owner-${suffix}`;
    await rbac.createClusterRole({ body: { metadata: { name: owner }, rules: [] } });
    const h = await startHarness(["--webhook-config-owner", owner]);
    const live = await waitFor(
      async () => {
        const config = await readLive(h);
        return config.metadata?.ownerReferences?.length ? config : undefined;
      },
      { what: "owner reference" },
    );
    expect(live.metadata!.ownerReferences).toEqual([
      expect.objectContaining({ kind: "ClusterRole", name: owner, uid: expect.any(String) }),
    ]);

    await rbac.deleteClusterRole({ name: owner });
    await waitFor(async () => !(await liveExists(h)), { what: "collection", timeoutMs: 60_000 });
    await pokeAndWait(h, "owner-gone");

    expect(await liveExists(h)).toBe(false);
  });
});
