import type { V1MutatingWebhookConfiguration, V1Pod } from "@kubernetes/client-node";
import { AdmissionregistrationV1Api, ApiException } from "@kubernetes/client-node";
import { readCertificate } from "../../operator/certs/certificate-info.js";
import { CERT_ANNOTATIONS, readPems } from "../../operator/certs/tls-secret.js";
import {
  BREAK_GLASS_ANNOTATION,
  WEBHOOK_NAME,
} from "../../operator/webhook-config/webhook-configuration.js";
import { ORIGINAL_IMAGES_ANNOTATION } from "../../webhook/admission/patch.js";
import {
  deleteTestNamespace,
  kubeConfig,
  newTestNamespace,
  testCluster,
  waitFor,
} from "../cluster/test-env.js";
import type { OperatorProcess } from "../demo/operator-process.js";
import {
  applyPolicy,
  deletePolicies,
  installCrd,
  waitForStatus,
} from "../integration/operator-support.js";
import {
  core,
  createPod,
  kubectlResult,
  podBody,
  scrapeMetric,
  servedFingerprint,
  startFlowOperator,
  waitForAdmittedImage,
} from "./flow-support.js";
import { uniqueSuffix } from "./reconciler-harness.js";

// The flow a user follows, end to end: the compiled operator as a child process owns its
// certificate and MutatingWebhookConfiguration, and the real apiserver calls it at
// https://127.0.0.1:<port>/mutate for Pods in labelled namespaces.

const suffix = uniqueSuffix();
const LABEL = "k8s.twr.io/imageswap";
const policyName = `e2e-flow-${suffix}`;
const webhookConfigName = `imageswap-e2e-flow-${suffix}`;
const NGINX = "nginx:1.25";
const SWAPPED_NGINX = "mirror.e2e.example/dockerhub/nginx:1.25";
const kubectl = (...args: string[]) => testCluster().kubectl(args);
const admission = () => kubeConfig().makeApiClient(AdmissionregistrationV1Api);

let operatorNamespace: string;
let test1: string;
let operator: OperatorProcess | undefined;
const namespaces: string[] = [];

async function startOperator(failurePolicy: "Fail" | "Ignore"): Promise<OperatorProcess> {
  operator = await startFlowOperator({
    kubeconfigPath: testCluster().kubeconfigPath,
    namespace: operatorNamespace,
    webhookConfigName,
    leaseName: `imageswap-leader-${suffix}`,
    failurePolicy,
  });
  return operator;
}

async function stopOperator(): Promise<void> {
  await operator?.stop();
  operator = undefined;
}

function readConfig(): Promise<V1MutatingWebhookConfiguration> {
  return admission().readMutatingWebhookConfiguration({ name: webhookConfigName });
}

function webhookOf(config: V1MutatingWebhookConfiguration) {
  return config.webhooks?.find(w => w.name === WEBHOOK_NAME);
}

/** Waits until the configuration calls the running operator with `failurePolicy`. */
async function waitForConfigOf(op: OperatorProcess, failurePolicy: string): Promise<void> {
  await waitFor(
    async () => {
      const webhook = webhookOf(await readConfig());
      return webhook?.clientConfig.url === op.webhookUrl && webhook.failurePolicy === failurePolicy;
    },
    { what: `configuration calling ${op.webhookUrl} with ${failurePolicy}` },
  );
}

function readTlsSecret() {
  return core().readNamespacedSecret({ namespace: operatorNamespace, name: "imageswap-tls" });
}

function imageOf(pod: V1Pod): string | undefined {
  return pod.spec?.containers[0]?.image;
}

async function reconcilesOfConfig(op: OperatorProcess): Promise<number> {
  const labels = { controller: "webhook-config" };
  return scrapeMetric(op.metricsPort, "imageswap_reconcile_total", labels);
}

beforeAll(async () => {
  await installCrd();
  operatorNamespace = await newTestNamespace("imageswap-system");
  test1 = await newTestNamespace("test1");
  namespaces.push(operatorNamespace, test1);
  await applyPolicy(policyName, {
    registries: [{ source: "docker.io", target: "mirror.e2e.example/dockerhub" }],
  });
  await startOperator("Fail");
}, 180_000);

afterAll(async () => {
  await stopOperator();
  // A fail-closed configuration must never outlive the suite.
  await kubectl("delete", "mutatingwebhookconfiguration", webhookConfigName, "--ignore-not-found");
  await deletePolicies([policyName]);
  for (const namespace of namespaces) await deleteTestNamespace(namespace);
});

describe("imageswap end to end on the local control plane", () => {
  it("swaps the images of a Deployment's Pod once the namespace is labelled", async () => {
    await waitForStatus(policyName, 1, "True");
    await kubectl("label", "namespace", test1, `${LABEL}=enabled`);
    await waitForAdmittedImage(test1, NGINX, SWAPPED_NGINX);

    await kubectl("create", "deployment", "hello-world", `--image=${NGINX}`, "-n", test1);

    const pod = await waitFor(
      async () =>
        (await core().listNamespacedPod({ namespace: test1, labelSelector: "app=hello-world" }))
          .items[0],
      { what: "hello-world Pod" },
    );
    expect(pod.metadata!.ownerReferences![0]!.kind).toBe("ReplicaSet");
    expect(imageOf(pod)).toBe(SWAPPED_NGINX);
    expect(pod.metadata!.annotations![ORIGINAL_IMAGES_ANNOTATION]).toContain(NGINX);
  });

  it("shows the swap to kubectl as a warning", async () => {
    const result = await kubectlResult(["run", "warned", `--image=${NGINX}`, "-n", test1]);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Warning: ${NGINX} -> ${SWAPPED_NGINX}`);
  });

  it("leaves a Pod labelled disabled with its image", async () => {
    const pod = await createPod(test1, podBody("opted-out", NGINX, { [LABEL]: "disabled" }));

    expect(imageOf(pod)).toBe(NGINX);
    expect(pod.metadata!.annotations?.[ORIGINAL_IMAGES_ANNOTATION]).toBeUndefined();
  });

  it("leaves a namespace without the label untouched", async () => {
    const plain = await newTestNamespace("plain");
    namespaces.push(plain);

    const pod = await createPod(plain, podBody("untouched", NGINX));

    expect(imageOf(pod)).toBe(NGINX);
  });

  it("rotates CA and serving certificate while Pods are created, failing none", async () => {
    const op = operator!;
    const before = readPems(await readTlsSecret());
    const phasesSeen = new Set<string>();
    const failures: string[] = [];
    const images: Array<string | undefined> = [];
    let phase = "Stable";
    let done = false;
    let created = 0;

    // Follows the phases until the rotation is over and the operator serves the new
    // certificate, then keeps the load on for 20 more Pods against the final state.
    const follow = async (): Promise<void> => {
      let finalFrom: number | undefined;
      while (!done) {
        const secret = await readTlsSecret();
        const { tlsCrt } = readPems(secret);
        phase = secret.metadata!.annotations![CERT_ANNOTATIONS.phase]!;
        const served = await servedFingerprint(op.port);
        const over = phase === "Stable" && tlsCrt !== before.tlsCrt;
        if (over && served === readCertificate(tlsCrt!).fingerprint256) finalFrom ??= created;
        done = finalFrom !== undefined && created - finalFrom >= 20;
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    };
    const createLoop = async (worker: number): Promise<void> => {
      while (!done) {
        const name = `load-${worker}-${created++}`;
        const during = phase;
        try {
          images.push(imageOf(await createPod(test1, podBody(name, NGINX))));
          phasesSeen.add(during);
        } catch (err) {
          failures.push(`${name} during ${during}: ${(err as Error).message.slice(0, 200)}`);
        }
      }
    };
    await kubectl(
      "annotate",
      "secret",
      "-n",
      operatorNamespace,
      "imageswap-tls",
      `${CERT_ANNOTATIONS.rotate}=true`,
    );
    await Promise.all([follow(), createLoop(1), createLoop(2)]);

    const after = readPems(await readTlsSecret());
    expect(failures).toEqual([]);
    expect([...phasesSeen]).toEqual(expect.arrayContaining(["Trusted", "Serving"]));
    expect(images.every(image => image === SWAPPED_NGINX)).toBe(true);
    expect(after.caCrt).not.toBe(before.caCrt);
    expect(await servedFingerprint(op.port)).toBe(readCertificate(after.tlsCrt!).fingerprint256);
    const caBundle = webhookOf(await readConfig())!.clientConfig.caBundle!;
    expect(Buffer.from(caBundle, "base64").toString("utf8")).toBe(after.caCrt);
  });

  it("lets Pods through unswapped while the glass is broken, across reconciles and restarts", async () => {
    await kubectl(
      "annotate",
      "mutatingwebhookconfiguration",
      webhookConfigName,
      `${BREAK_GLASS_ANNOTATION}=true`,
    );
    await waitFor(async () => webhookOf(await readConfig()) === undefined, {
      what: "webhook removed",
    });
    await waitForAdmittedImage(test1, NGINX, NGINX);

    const reconciles = await reconcilesOfConfig(operator!);
    await kubectl(
      "annotate",
      "--overwrite",
      "secret",
      "-n",
      operatorNamespace,
      "imageswap-tls",
      "e2e/poke=1",
    );
    await waitFor(async () => (await reconcilesOfConfig(operator!)) > reconciles, {
      what: "reconcile",
    });
    await stopOperator();
    const restarted = await startOperator("Fail");
    await waitFor(async () => (await reconcilesOfConfig(restarted)) > 0, {
      what: "leader reconcile",
    });

    expect(webhookOf(await readConfig())).toBeUndefined();
    expect(imageOf(await createPod(test1, podBody("glass-broken", NGINX)))).toBe(NGINX);

    await kubectl(
      "annotate",
      "mutatingwebhookconfiguration",
      webhookConfigName,
      `${BREAK_GLASS_ANNOTATION}-`,
    );
    await waitForConfigOf(restarted, "Fail");
    await waitForAdmittedImage(test1, NGINX, SWAPPED_NGINX);
  });

  it("refuses Pods while the webhook is down under Fail", async () => {
    await waitForConfigOf(operator!, "Fail");
    await stopOperator();

    const refused = await createPod(test1, podBody("refused", NGINX)).catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(ApiException);
    const { code, body } = refused as ApiException<string>;
    const status = JSON.parse(body) as { message: string };
    expect(code).toBe(500);
    expect(status.message).toContain(`failed calling webhook "${WEBHOOK_NAME}"`);
    expect(status.message).toContain("connection refused");
  });

  it("admits Pods with their own images while the webhook is down under Ignore", async () => {
    const op = await startOperator("Ignore");
    await waitForConfigOf(op, "Ignore");
    await waitForAdmittedImage(test1, NGINX, SWAPPED_NGINX);
    await stopOperator();

    const pod = await createPod(test1, podBody("admitted", NGINX));

    expect(imageOf(pod)).toBe(NGINX);
    expect(pod.metadata!.annotations?.[ORIGINAL_IMAGES_ANNOTATION]).toBeUndefined();
  });
});
