import { readFileSync } from "node:fs";
import {
  deleteTestNamespace,
  newTestNamespace,
  testCluster,
  testControlPlane,
} from "../cluster/test-env.js";

// The outage helpers other suites rely on: each must do what its name says on the real parts.

interface WatchEvent {
  type: string;
  object: { code?: number; reason?: string };
}

function parseEvents(body: string): WatchEvent[] {
  return body
    .split("\n")
    .filter(line => line.trim() !== "")
    .map(line => JSON.parse(line) as WatchEvent);
}

async function createConfigMap(namespace: string, name: string): Promise<string> {
  const out = await testCluster().kubectl([
    "create",
    "configmap",
    name,
    "-n",
    namespace,
    "-o",
    "jsonpath={.metadata.resourceVersion}",
  ]);
  return out.trim();
}

describe("control plane harness", () => {
  let namespace: string;

  beforeAll(async () => {
    namespace = await newTestNamespace("harness");
  });

  afterAll(async () => {
    await deleteTestNamespace(namespace);
  });

  it("writes an admin kubeconfig that holds the token and the CA file", () => {
    const cluster = testCluster();
    const text = readFileSync(cluster.kubeconfigPath, "utf8");

    expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(text).toContain(cluster.caFile);
    expect(readFileSync(cluster.caFile, "utf8")).toContain("BEGIN CERTIFICATE");
  });

  it("refuses connections while the apiserver is stopped and keeps the data across", async () => {
    const plane = testControlPlane();
    await createConfigMap(namespace, "survivor");

    await plane.stopApiserver();
    const duringOutage = await testCluster()
      .request("GET", "/readyz")
      .then(
        () => "answered",
        (err: NodeJS.ErrnoException) => err.code,
      );
    await plane.startApiserver();
    const after = await testCluster().kubectl(["get", "configmap", "survivor", "-n", namespace]);

    expect(duringOutage).toBe("ECONNREFUSED");
    expect(after).toContain("survivor");
  });

  it("compacts etcd so that reads at an older revision are refused", async () => {
    const plane = testControlPlane();
    const oldRevision = Number(await createConfigMap(namespace, "before-compaction"));
    await createConfigMap(namespace, "after-it");
    const readAt = (revision: number) =>
      fetch(`${plane.etcdUrl}/v3/kv/range`, {
        method: "POST",
        body: JSON.stringify({ key: Buffer.from("/").toString("base64"), revision }),
      });

    const before = await readAt(oldRevision);
    const compactedAt = await plane.compactEtcd();
    const after = await readAt(oldRevision);

    expect(before.status).toBe(200);
    expect(compactedAt).toBeGreaterThan(oldRevision);
    expect(after.status).not.toBe(200);
    expect(await after.text()).toContain("required revision has been compacted");
  });

  it("expires resumed watches with 410 Gone after expireWatches", async () => {
    const oldVersion = await createConfigMap(namespace, "watched");
    await createConfigMap(namespace, "watched-2");
    const watch = (rv: string) =>
      `/api/v1/namespaces/${namespace}/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=1`;

    const before = parseEvents((await testCluster().request("GET", watch(oldVersion))).body);
    await testControlPlane().expireWatches();
    const after = parseEvents((await testCluster().request("GET", watch(oldVersion))).body);

    expect(before.map(e => e.type)).toEqual(["ADDED"]);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ type: "ERROR", object: { code: 410, reason: "Expired" } });
  });
});
