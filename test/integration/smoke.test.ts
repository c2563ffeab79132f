import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1Deployment,
  type V1Pod,
} from "@kubernetes/client-node";
import {
  deleteTestNamespace,
  kubeConfig,
  newTestNamespace,
  testCluster,
  waitFor,
} from "../cluster/test-env.js";

// Proves the control plane is a real one: controllers act, CRDs get served, RBAC decides.

const CRD_GROUP = "smoke.imageswap.test";
const CRD_NAME = `widgets.${CRD_GROUP}`;
const CRD_MANIFEST = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${CRD_NAME}
spec:
  group: ${CRD_GROUP}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
`;

const IMAGE = "docker.io/library/nginx:1.27";

function deployment(name: string, replicas: number): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "app", image: IMAGE }] } },
    },
  };
}

function summarize(pod: V1Pod) {
  return {
    owner: pod.metadata?.ownerReferences?.[0]?.name,
    phase: pod.status?.phase,
    nodeName: pod.spec?.nodeName,
    image: pod.spec?.containers[0]?.image,
  };
}

/** The HTTP status of a failed client-node call, or 0 when it succeeded. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 0;
  } catch (err) {
    if (err instanceof ApiException) {
      return err.code;
    }
    throw err;
  }
}

/** A KubeConfig for the same cluster that authenticates with `token` instead of as admin. */
function kubeConfigWithToken(token: string): KubeConfig {
  const { server, caFile } = testCluster();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "local", server, caFile, skipTLSVerify: false }],
    users: [{ name: "sa", token }],
    contexts: [{ name: "sa", cluster: "local", user: "sa" }],
    currentContext: "sa",
  });
  return kc;
}

describe("local control plane", () => {
  let namespace: string;
  const kc = kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);

  beforeAll(async () => {
    namespace = await newTestNamespace("smoke", { "smoke.imageswap.test/suite": "smoke" });
  });

  afterAll(async () => {
    await testCluster().kubectl(["delete", "crd", CRD_NAME, "--ignore-not-found", "--wait=false"]);
    await deleteTestNamespace(namespace);
  });

  it("creates a namespace with its default ServiceAccount", async () => {
    const ns = await core.readNamespace({ name: namespace });
    const sa = await core.readNamespacedServiceAccount({ name: "default", namespace });

    expect(ns.metadata?.labels?.["smoke.imageswap.test/suite"]).toBe("smoke");
    expect(ns.status?.phase).toBe("Active");
    expect(sa.metadata?.namespace).toBe(namespace);
  });

  it("turns a Deployment into a ReplicaSet and Pending Pods", async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({ namespace, body: deployment("smoke", 2) });

    const replicaSet = await waitFor(
      async () => (await apps.listNamespacedReplicaSet({ namespace })).items[0],
      { what: "ReplicaSet of the smoke Deployment" },
    );
    const pods = await waitFor(
      async () => {
        const items = (await core.listNamespacedPod({ namespace })).items;
        return items.length === 2 ? items : undefined;
      },
      { what: "two Pods of the smoke ReplicaSet" },
    );

    expect(replicaSet.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "Deployment",
      name: "smoke",
    });
    // No scheduler and no kubelet: Pods stay Pending and unbound, by design.
    expect(pods.map(summarize)).toEqual([
      { owner: replicaSet.metadata?.name, phase: "Pending", nodeName: undefined, image: IMAGE },
      { owner: replicaSet.metadata?.name, phase: "Pending", nodeName: undefined, image: IMAGE },
    ]);
  });

  it("serves a CustomResourceDefinition once it is Established", async () => {
    const output = await testCluster().kubectl(["apply", "-f", "-"], { input: CRD_MANIFEST });
    const crds = kc.makeApiClient(ApiextensionsV1Api);

    const established = await waitFor(
      async () => {
        const crd = await crds.readCustomResourceDefinition({ name: CRD_NAME });
        const condition = crd.status?.conditions?.find(c => c.type === "Established");
        return condition?.status === "True" ? condition : undefined;
      },
      { what: `${CRD_NAME} Established` },
    );
    const created = await testCluster().kubectl(["apply", "-n", namespace, "-f", "-"], {
      input: `{"apiVersion":"${CRD_GROUP}/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}}`,
    });
    const size = await testCluster().kubectl([
      "get",
      "widget",
      "w1",
      "-n",
      namespace,
      "-o",
      "jsonpath={.spec.size}",
    ]);

    expect(output).toContain(`customresourcedefinition.apiextensions.k8s.io/${CRD_NAME}`);
    expect(established.reason).toBe("InitialNamesAccepted");
    expect(created).toContain("widget.smoke.imageswap.test/w1 created");
    expect(size).toBe("3");
  });

  it("grants a TokenRequest token what its Role allows and refuses the rest", async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({
      namespace,
      body: { metadata: { name: "reader" } },
    });
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: "configmap-reader" },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: "reader" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmap-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace }],
      },
    });

    const request = await core.createNamespacedServiceAccountToken({
      name: "reader",
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const asReader = kubeConfigWithToken(request.status?.token ?? "").makeApiClient(CoreV1Api);
    // RBAC objects reach the authorizer through an informer: poll until the grant applies.
    const granted = await waitFor(
      async () => (await statusOf(asReader.listNamespacedConfigMap({ namespace }))) === 0,
      { what: "configmap-reader Role in effect" },
    );
    const secrets = await statusOf(asReader.listNamespacedSecret({ namespace }));
    const otherNamespace = await statusOf(
      asReader.listNamespacedConfigMap({ namespace: "default" }),
    );
    const createConfigMap = await statusOf(
      asReader.createNamespacedConfigMap({ namespace, body: { metadata: { name: "nope" } } }),
    );

    expect(request.status?.token).toMatch(/^ey/);
    expect(granted).toBe(true);
    expect(secrets).toBe(403);
    expect(otherNamespace).toBe(403);
    expect(createConfigMap).toBe(403);
  });

  it("deletes a namespace with its contents, so suites can clean up", async () => {
    const doomed = await newTestNamespace("smoke-delete");
    await core.createNamespacedConfigMap({ namespace: doomed, body: { metadata: { name: "c" } } });

    await deleteTestNamespace(doomed);
    const gone = await waitFor(
      async () => (await statusOf(core.readNamespace({ name: doomed }))) === 404,
      { what: `namespace ${doomed} deleted`, timeoutMs: 90_000, intervalMs: 500 },
    );

    expect(gone).toBe(true);
  });
});
