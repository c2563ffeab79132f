import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { testCluster } from "../cluster/test-env.js";
import {
  CHART_DIR,
  REPO_ROOT,
  parseManifests,
  renderChart,
  tool,
  type Manifest,
} from "./chart-support.js";

// crds/ is the single source of the CRD; the chart and the kustomize base carry copies that must
// stay byte-identical, and the kustomize base must install what the chart installs by default.

const CRD_SOURCE = join(REPO_ROOT, "crds");
const COPIES = [join(CHART_DIR, "crds"), join(REPO_ROOT, "config", "crd")];

/** An object reduced to what both tools must agree on: Helm and kustomize label differently. */
function comparable(manifest: Manifest): unknown {
  const metadata: Record<string, unknown> = { ...manifest.metadata };
  delete metadata.labels;
  return { ...manifest, metadata };
}

function byKindAndName(manifests: Manifest[]): Map<string, unknown> {
  return new Map(manifests.map(m => [`${m.kind}/${m.metadata.name}`, comparable(m)]));
}

describe("CRD copies", () => {
  const sources = readdirSync(CRD_SOURCE).filter(f => f.endsWith(".yaml"));

  it("has a CRD to copy", () => {
    expect(sources.length).toBeGreaterThan(0);
  });

  it.each(COPIES)("%s holds exactly the files of crds/, byte for byte", dir => {
    const copies = readdirSync(dir).filter(f => f.endsWith(".yaml") && f !== "kustomization.yaml");

    expect(copies.sort()).toEqual([...sources].sort());
    for (const file of sources) {
      // Fix with: cp crds/*.yaml config/crd/ && cp crds/*.yaml charts/imageswap/crds/
      expect(readFileSync(join(dir, file), "utf8")).toBe(
        readFileSync(join(CRD_SOURCE, file), "utf8"),
      );
    }
  });
});

describe("config/base", () => {
  it("installs the objects of the chart's defaults, field for field", async () => {
    const chart = await renderChart();
    const base = parseManifests(
      await tool("kubectl", ["kustomize", join(REPO_ROOT, "config", "base")]),
    );

    const fromChart = byKindAndName(chart);
    const fromBase = byKindAndName(base.filter(m => m.kind !== "Namespace"));

    expect([...fromBase.keys()].sort()).toEqual([...fromChart.keys()].sort());
    for (const [key, object] of fromChart)
      expect({ key, object: fromBase.get(key) }).toEqual({ key, object });
  });

  it("is accepted by the apiserver as it stands (server-side dry run)", async () => {
    const cluster = testCluster();
    const existed = (await cluster.kubectl(["get", "namespaces", "-o", "name"])).includes(
      "namespace/imageswap-system",
    );
    // A dry run persists nothing, so the namespaced objects need their namespace for real.
    if (!existed) await cluster.kubectl(["create", "namespace", "imageswap-system"]);
    try {
      const out = await cluster.kubectl([
        "apply",
        "--server-side",
        "--dry-run=server",
        "-k",
        join(REPO_ROOT, "config", "base"),
      ]);

      expect(out).toContain("deployment.apps/imageswap serverside-applied (server dry run)");
      expect(out).toContain(
        "clusterrole.rbac.authorization.k8s.io/imageswap serverside-applied (server dry run)",
      );
    } finally {
      if (!existed) await cluster.kubectl(["delete", "namespace", "imageswap-system"]);
    }
  });

  it("creates the install namespace", async () => {
    const base = parseManifests(
      await tool("kubectl", ["kustomize", join(REPO_ROOT, "config", "base")]),
    );

    expect(base.filter(m => m.kind === "Namespace").map(m => m.metadata.name)).toEqual([
      "imageswap-system",
    ]);
  });
});
