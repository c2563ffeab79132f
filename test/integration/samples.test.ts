import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { compile } from "../../webhook/swap/index.js";
import { testCluster } from "../cluster/test-env.js";
import { REPO_ROOT } from "./chart-support.js";

// Every sample policy in config/samples is accepted by the real apiserver (schema and CEL rules
// of the CRD in crds/), stored as written, and removed again; and does, through the real swap
// engine, what its comments and the README say.

const SAMPLES_DIR = join(REPO_ROOT, "config", "samples");
const CRD_NAME = "imageswappolicies.k8s.twr.io";

interface PolicyManifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

const samples = readdirSync(SAMPLES_DIR)
  .filter(file => file.endsWith(".yaml") && file !== "kustomization.yaml")
  .sort();

function readSample(file: string): PolicyManifest {
  return parse(readFileSync(join(SAMPLES_DIR, file), "utf8")) as PolicyManifest;
}

describe("sample policies", () => {
  const cluster = testCluster();

  beforeAll(async () => {
    await cluster.kubectl(["apply", "--server-side", "-f", join(REPO_ROOT, "crds")]);
    await cluster.kubectl(["wait", "--for=condition=Established", `crd/${CRD_NAME}`]);
  });

  afterAll(async () => {
    await cluster.kubectl(["delete", "--ignore-not-found", "-k", SAMPLES_DIR]);
  });

  it("cover the five kinds of setup the README describes", () => {
    expect(samples).toEqual([
      "audit-mode.yaml",
      "exact-pins.yaml",
      "glob-rewrite.yaml",
      "harbor-dockerhub.yaml",
      "private-mirror.yaml",
    ]);
  });

  it.each(samples)("%s is accepted and stored as written", async file => {
    const sample = readSample(file);

    await cluster.kubectl(["create", "-f", join(SAMPLES_DIR, file)]);
    const stored = JSON.parse(
      await cluster.kubectl(["get", "imageswappolicy", sample.metadata.name, "-o", "json"]),
    ) as PolicyManifest;
    await cluster.kubectl(["delete", "imageswappolicy", sample.metadata.name]);

    expect(stored.kind).toBe("ImageSwapPolicy");
    expect(stored.spec).toMatchObject(sample.spec);
  });

  it("all apply together through the kustomization", async () => {
    const out = await cluster.kubectl(["apply", "--server-side", "-k", SAMPLES_DIR]);

    const names = samples.map(file => readSample(file).metadata.name);
    for (const name of names) expect(out).toContain(`imageswappolicy.k8s.twr.io/${name}`);
  });

  it("the apiserver refuses a rule with both a target and skip", async () => {
    const bad = {
      apiVersion: "k8s.twr.io/v1alpha1",
      kind: "ImageSwapPolicy",
      metadata: { name: "sample-bad" },
      spec: { registries: [{ source: "docker.io", target: "mirror.example.com", skip: true }] },
    };

    const attempt = cluster.kubectl(["create", "--dry-run=server", "-f", "-"], {
      input: JSON.stringify(bad),
    });

    await expect(attempt).rejects.toThrow(/Invalid|invalid/);
  });
});

const PAYMENTS = { team: "payments" };

describe.each([
  [
    "harbor-dockerhub.yaml",
    [
      ["nginx:1.25", "harbor.example.com/dockerhub-proxy/library/nginx:1.25"],
      ["docker.io/bitnami/redis:7", "harbor.example.com/dockerhub-proxy/bitnami/redis:7"],
      ["quay.io/prometheus/prometheus:v2.53.0", "quay.io/prometheus/prometheus:v2.53.0"],
      [
        "harbor.example.com/dockerhub-proxy/library/nginx:1.25",
        "harbor.example.com/dockerhub-proxy/library/nginx:1.25",
      ],
    ],
  ],
  [
    "private-mirror.yaml",
    [
      [
        "quay.io/prometheus/node-exporter:v1.8.0",
        "mirror.internal.example.com/quay/prometheus/node-exporter:v1.8.0",
      ],
      [
        "ghcr.io/fluxcd/source-controller:v1.3.0",
        "mirror.internal.example.com/ghcr/fluxcd/source-controller:v1.3.0",
      ],
      ["registry.internal.example.com/team/app:1", "registry.internal.example.com/team/app:1"],
      ["nginx:1.25", "nginx:1.25"],
    ],
  ],
  [
    "exact-pins.yaml",
    [
      ["ghcr.io/acme/app:1.0", "mirror.internal.example.com/pinned/acme-app:1.0-patched"],
      ["ghcr.io/acme/app:1.1", "ghcr.io/acme/app:1.1"],
      ["busybox:1.36", "mirror.internal.example.com/pinned/busybox:1.36-vetted"],
    ],
  ],
  [
    "glob-rewrite.yaml",
    [
      ["ghcr.io/acme-public/tools/cli:2", "mirror.internal.example.com/acme-public/cli:2"],
      ["ghcr.io/acme-public-x/tool:2", "ghcr.io/acme-public-x/tool:2"],
      ["registry.k8s.io/sig/tool:1", "mirror.internal.example.com/k8s/sig/tool:1"],
    ],
  ],
])("sample %s", (file, cases) => {
  const sample = readSample(file);
  const { table, reports } = compile([{ name: sample.metadata.name, spec: sample.spec }], 1);

  it("compiles without a rejected rule", () => {
    expect(reports[0]).toMatchObject({ ready: true, rejected: 0 });
  });

  it.each(cases)("swaps %s to %s", (image, expected) => {
    expect(table.swap(image!, {}).output).toBe(expected);
  });
});

describe("sample audit-mode.yaml", () => {
  const sample = readSample("audit-mode.yaml");
  const { table } = compile([{ name: sample.metadata.name, spec: sample.spec }], 1);

  it("reports the default swap in Audit mode for the selected namespaces", () => {
    expect(table.swap("nginx:1.25", PAYMENTS)).toMatchObject({
      mode: "Audit",
      output: "mirror.internal.example.com/catch-all/nginx:1.25",
    });
  });

  it("leaves other namespaces and noSwap images alone", () => {
    expect(table.swap("nginx:1.25", { team: "shop" }).changed).toBe(false);
    expect(table.swap("mirror.internal.example.com/app:1", PAYMENTS).changed).toBe(false);
  });
});
