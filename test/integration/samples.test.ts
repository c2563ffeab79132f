import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { testCluster } from "../cluster/test-env.js";
import { REPO_ROOT } from "./chart-support.js";

// Every sample policy in config/samples is accepted by the real apiserver (schema and CEL rules
// of the CRD in crds/), stored as written, and removed again.

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
