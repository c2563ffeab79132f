import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import {
  deleteTestNamespace,
  newTestNamespace,
  testCluster,
  waitFor,
} from "../cluster/test-env.js";
import { startOperatorProcess, type OperatorProcess } from "../demo/operator-process.js";
import {
  CHART_DIR,
  findOne,
  literalEnv,
  operatorContainer,
  parseManifests,
} from "./chart-support.js";

// The chart installed for real: `helm install` into the local control plane, then the operator
// run as a local process with a TokenRequest token of the chart's ServiceAccount. It must do its
// whole job with that token alone (proving the RBAC is enough) and be refused beyond it (proving
// it is not more). `helm uninstall` must leave nothing that blocks Pod creation, even while an
// operator replica is still running.

const run = promisify(execFile);
const suffix = randomBytes(3).toString("hex");
const RELEASE = `imageswap-chart-${suffix}`;
const RELEASE_NS = `imageswap-chart-${suffix}`;
const CONFIG_NAME = `imageswap-chart-${suffix}`;
const POLICY = `chart-test-${suffix}`;
// A label key of our own: no other suite's webhook configuration selects these namespaces.
const NS_LABEL = `chart-${suffix}.k8s.twr.io/imageswap`;
const MIRROR = "mirror.chart-test.example/hub";
const SA = `system:serviceaccount:${RELEASE_NS}:${RELEASE}`;

interface ObjectMeta {
  name: string;
  uid: string;
  ownerReferences?: Array<{ kind: string; name: string; uid: string }>;
}

interface PodLike {
  metadata: ObjectMeta & { annotations?: Record<string, string> };
  spec: { containers: Array<{ name: string; image: string }> };
}

const cluster = testCluster();

function podManifest(name: string, namespace: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { containers: [{ name: "web", image: "nginx:1.25" }] },
  });
}

async function createPod(name: string, namespace: string, dryRun = false): Promise<PodLike> {
  const args = ["create", "-o", "json", "-f", "-", ...(dryRun ? ["--dry-run=server"] : [])];
  return JSON.parse(
    await cluster.kubectl(args, { input: podManifest(name, namespace) }),
  ) as PodLike;
}

async function getJson<T>(args: string[]): Promise<T | undefined> {
  try {
    return JSON.parse(await cluster.kubectl(["get", ...args, "-o", "json"])) as T;
  } catch (err) {
    if (/NotFound|not found/.test(String(err))) return undefined;
    throw err;
  }
}

interface Access {
  verb: string;
  /** `resource` or `resource/name`. */
  resource: string;
  ns?: string;
  sub?: string;
}

/** Test titles: "patch imageswappolicies.k8s.twr.io (status)", "get secrets in kube-system". */
function named(list: Access[]): Array<[string, Access]> {
  return list.map(a => {
    const where = a.ns ? ` in ${a.ns}` : "";
    const sub = a.sub ? ` (${a.sub})` : "";
    return [`${a.verb} ${a.resource}${sub}${where}`, a];
  });
}

/** `kubectl auth can-i` as the chart's ServiceAccount (impersonated by the admin). */
async function canI(access: Access): Promise<string> {
  const args = [
    "--kubeconfig",
    cluster.kubeconfigPath,
    "auth",
    "can-i",
    access.verb,
    access.resource,
  ];
  args.push(`--as=${SA}`);
  if (access.ns) args.push("-n", access.ns);
  if (access.sub) args.push(`--subresource=${access.sub}`);
  // can-i exits 1 for "no"; its answer is on stdout either way.
  const result = await run(join(cluster.binDir, "kubectl"), args).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }),
  );
  return result.stdout.trim();
}

describe("helm install of the chart", () => {
  const tmp = mkdtempSync(join(tmpdir(), "imageswap-chart-"));
  let operator: OperatorProcess | undefined;
  let token = "";
  let enabledNs = "";

  beforeAll(async () => {
    const values = {
      namespaceLabel: NS_LABEL,
      webhook: { configName: CONFIG_NAME, timeoutSeconds: 5 },
      // The certificate must name the address the apiserver calls here.
      certificate: { extraSans: ["127.0.0.1"] },
      policies: [
        {
          name: POLICY,
          spec: {
            registries: [
              { source: "docker.io/library", target: `${MIRROR}/library` },
              { source: "docker.io", target: MIRROR },
            ],
          },
        },
      ],
    };
    writeFileSync(join(tmp, "values.yaml"), stringify(values));
    await cluster.helm(
      [
        "install",
        RELEASE,
        CHART_DIR,
        "-n",
        RELEASE_NS,
        "--create-namespace",
        "-f",
        join(tmp, "values.yaml"),
      ],
      { timeoutMs: 120_000 },
    );
    enabledNs = await newTestNamespace("chart-enabled", { [NS_LABEL]: "enabled" });
  });

  afterAll(async () => {
    await operator?.stop();
    await cluster
      .helm(["uninstall", RELEASE, "-n", RELEASE_NS, "--ignore-not-found"])
      .catch(() => "");
    // Safety net for a failed run: never leave a fail-closed configuration behind.
    await cluster.kubectl([
      "delete",
      "mutatingwebhookconfiguration",
      CONFIG_NAME,
      "--ignore-not-found",
    ]);
    await cluster.kubectl(["delete", "imageswappolicy", POLICY, "--ignore-not-found"]);
    await deleteTestNamespace(enabledNs);
    await deleteTestNamespace(RELEASE_NS);
    rmSync(tmp, { recursive: true, force: true });
  });

  it("installs the release with its CRD, RBAC, workload and policy", async () => {
    const status = await cluster.helm(["status", RELEASE, "-n", RELEASE_NS]);

    expect(status).toMatch(/STATUS: deployed/);
    expect(await getJson(["crd", "imageswappolicies.k8s.twr.io"])).toBeDefined();
    expect(await getJson(["deployment", RELEASE, "-n", RELEASE_NS])).toBeDefined();
    expect(await getJson(["imageswappolicy", POLICY])).toBeDefined();
  });

  it("runs the operator with a token of the chart's ServiceAccount and no other right", async () => {
    token = (
      await cluster.kubectl(["create", "token", RELEASE, "-n", RELEASE_NS, "--duration=1h"])
    ).trim();
    const kubeconfig = join(tmp, "sa.kubeconfig");
    writeFileSync(kubeconfig, serviceAccountKubeconfig(token), { mode: 0o600 });
    const manifests = parseManifests(
      await cluster.helm(["get", "manifest", RELEASE, "-n", RELEASE_NS]),
    );
    // The Deployment's own environment: the chart's values reach the operator as in a cluster.
    const env = { ...literalEnv(operatorContainer(manifests)), IMAGESWAP_NAMESPACE: RELEASE_NS };

    operator = await startOperatorProcess({
      kubeconfigPath: kubeconfig,
      env: { ...env, IMAGESWAP_IDENTITY: "local-0" },
    });
    await operator.waitReady();

    expect(findOne(manifests, "ServiceAccount").metadata.name).toBe(RELEASE);
  });

  it("writes its own webhook configuration, owned by the release's ClusterRole", async () => {
    const role = (await getJson<{ metadata: ObjectMeta }>(["clusterrole", RELEASE]))!;

    const mwc = await waitFor(
      async () => {
        const found = await getJson<{
          metadata: ObjectMeta;
          webhooks?: Array<{ clientConfig: Record<string, string> }>;
        }>(["mutatingwebhookconfiguration", CONFIG_NAME]);
        return found?.webhooks?.[0]?.clientConfig.caBundle ? found : undefined;
      },
      { what: "webhook configuration with a caBundle", timeoutMs: 60_000 },
    );

    expect(mwc.webhooks![0]!.clientConfig.url).toBe(operator!.webhookUrl);
    expect(mwc.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "ClusterRole", name: RELEASE, uid: role.metadata.uid }),
    ]);
    expect(await getJson(["secret", "imageswap-tls", "-n", RELEASE_NS])).toBeDefined();
    expect(await getJson(["lease", "imageswap-leader", "-n", RELEASE_NS])).toBeDefined();
  });

  it("records an Event for the certificate it issued", async () => {
    const reasons = await waitFor(
      async () => {
        const events = await getJson<{ items: Array<{ reason: string }> }>([
          "events",
          "-n",
          RELEASE_NS,
        ]);
        const found = events?.items.map(e => e.reason) ?? [];
        return found.includes("CertificateIssued") ? found : undefined;
      },
      { what: "CertificateIssued event", timeoutMs: 30_000 },
    );

    expect(reasons).toContain("CertificateIssued");
  });

  it("marks the policy installed by the chart Ready", async () => {
    const ready = await waitFor(
      async () => {
        const policy = await getJson<{
          status?: { conditions?: Array<{ type: string; status: string }> };
        }>(["imageswappolicy", POLICY]);
        return policy?.status?.conditions?.find(c => c.type === "Ready" && c.status === "True");
      },
      { what: `policy ${POLICY} Ready`, timeoutMs: 60_000 },
    );

    expect(ready.status).toBe("True");
  });

  it("swaps the images of a Pod created in a labelled namespace", async () => {
    // The apiserver picks up a new webhook configuration asynchronously: wait on dry runs.
    await waitFor(
      async () =>
        (await createPod("probe", enabledNs, true)).spec.containers[0]!.image.startsWith(MIRROR),
      { what: "webhook active", timeoutMs: 60_000 },
    );

    const pod = await createPod("web", enabledNs);

    expect(pod.spec.containers[0]!.image).toBe(`${MIRROR}/library/nginx:1.25`);
  });

  it("logged no refusal by the apiserver while doing its job", () => {
    const lines = operator!.output().trim().split("\n");

    // An apiserver refusal reaches the log as `kubernetes api error 403` or a "forbidden" reason;
    // a bare 403 elsewhere (a resourceVersion) is not one.
    const refusals = lines.filter(line => /forbidden|api error 403|"code":403\b/i.test(line));

    expect(lines.length).toBeGreaterThan(1);
    expect(refusals).toEqual([]);
  });

  const mwc = "mutatingwebhookconfigurations.admissionregistration.k8s.io";
  const policies = "imageswappolicies.k8s.twr.io";
  const leases = "leases.coordination.k8s.io";

  it.each(
    named([
      { verb: "list", resource: "namespaces" },
      { verb: "watch", resource: policies },
      { verb: "patch", resource: policies, sub: "status" },
      { verb: "create", resource: mwc },
      { verb: "patch", resource: `${mwc}/${CONFIG_NAME}` },
      { verb: "update", resource: "secrets/imageswap-tls", ns: RELEASE_NS },
      { verb: "update", resource: `${leases}/imageswap-leader`, ns: RELEASE_NS },
      { verb: "create", resource: "events", ns: "default" },
    ]),
  )("may %s", async (_title, access) => {
    expect(await canI(access)).toBe("yes");
  });

  it.each(
    named([
      { verb: "delete", resource: `${mwc}/${CONFIG_NAME}` },
      { verb: "patch", resource: `${mwc}/someone-elses` },
      { verb: "list", resource: mwc },
      { verb: "patch", resource: "validatingwebhookconfigurations.admissionregistration.k8s.io" },
      { verb: "update", resource: policies },
      { verb: "delete", resource: policies },
      { verb: "patch", resource: "namespaces" },
      { verb: "get", resource: "secrets", ns: "kube-system" },
      { verb: "list", resource: "secrets", ns: RELEASE_NS },
      { verb: "get", resource: "secrets/other", ns: RELEASE_NS },
      { verb: "update", resource: `${leases}/other`, ns: RELEASE_NS },
      { verb: "create", resource: "pods", ns: "default" },
      { verb: "get", resource: "clusterroles.rbac.authorization.k8s.io/cluster-admin" },
      { verb: "create", resource: "clusterrolebindings.rbac.authorization.k8s.io" },
    ]),
  )("may not %s", async (_title, access) => {
    expect(await canI(access)).toBe("no");
  });

  it("is refused by the apiserver when its token reaches for more", async () => {
    const secrets = await cluster.request(
      "GET",
      "/api/v1/namespaces/kube-system/secrets",
      undefined,
      token,
    );
    const deleteMwc = await cluster.request(
      "DELETE",
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${CONFIG_NAME}`,
      undefined,
      token,
    );

    expect(secrets.status).toBe(403);
    expect(deleteMwc.status).toBe(403);
  });

  it("helm uninstall leaves no webhook configuration, and Pods can be created again", async () => {
    // The operator keeps running here, as a replica would while its Pod terminates.
    await cluster.helm(["uninstall", RELEASE, "-n", RELEASE_NS], { timeoutMs: 120_000 });

    await waitFor(
      async () => (await getJson(["mutatingwebhookconfiguration", CONFIG_NAME])) === undefined,
      {
        what: "webhook configuration garbage-collected",
        timeoutMs: 60_000,
      },
    );
    await operator!.stop();
    // Had the stopping replica re-created it in between, the missing owner removes it again.
    await waitFor(
      async () => (await getJson(["mutatingwebhookconfiguration", CONFIG_NAME])) === undefined,
      {
        what: "no webhook configuration after the operator stopped",
        timeoutMs: 60_000,
      },
    );
    const pod = await createPod("after-uninstall", enabledNs);

    expect(pod.spec.containers[0]!.image).toBe("nginx:1.25");
    expect(await getJson(["clusterrole", RELEASE])).toBeUndefined();
    expect(await getJson(["imageswappolicy", POLICY])).toBeUndefined();
    const left = await cluster.kubectl(["get", "mutatingwebhookconfigurations", "-o", "name"]);
    expect(left).not.toContain(CONFIG_NAME);
  });
});

function serviceAccountKubeconfig(saToken: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "local",
        cluster: { server: cluster.server, "certificate-authority": cluster.caFile },
      },
    ],
    users: [{ name: "imageswap", user: { token: saToken } }],
    contexts: [{ name: "imageswap", context: { cluster: "local", user: "imageswap" } }],
    "current-context": "imageswap",
  });
}
