import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { ImageSwapPolicySpec } from "../../webhook/swap/types.js";
import { POLICY_GROUP, POLICY_KIND, POLICY_PLURAL, POLICY_VERSION } from "./resources.js";

const CRD_FILE = new URL("../../crds/imageswappolicies.k8s.twr.io.yaml", import.meta.url);

interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
  "x-kubernetes-validations"?: Array<{ rule: string; message: string }>;
}

// Listing every key with `satisfies` makes the compiler flag a spec field the CRD lacks.
const SPEC_FIELDS = {
  mode: true,
  priority: true,
  namespaceSelector: true,
  default: true,
  registries: true,
  exact: true,
  patterns: true,
  noSwap: true,
  mapFile: true,
} satisfies Record<keyof ImageSwapPolicySpec, true>;

const crd = parse(readFileSync(CRD_FILE, "utf8"));
const version = crd.spec.versions[0];
const spec: Schema = version.schema.openAPIV3Schema.properties.spec;

describe("ImageSwapPolicy CRD", () => {
  it("names the API the operator watches", () => {
    expect(crd.metadata.name).toBe(`${POLICY_PLURAL}.${POLICY_GROUP}`);
    expect(crd.spec.names).toMatchObject({ kind: POLICY_KIND, plural: POLICY_PLURAL });
    expect(crd.spec.names.shortNames).toEqual(["isp"]);
    expect(crd.spec.scope).toBe("Cluster");
    expect(version.name).toBe(POLICY_VERSION);
    expect(version.subresources).toEqual({ status: {} });
  });

  it("has exactly the fields of ImageSwapPolicySpec", () => {
    expect(Object.keys(spec.properties ?? {}).sort()).toEqual(Object.keys(SPEC_FIELDS).sort());
  });

  it("prints mode, priority, rules, ready and age", () => {
    const columns = version.additionalPrinterColumns.map((c: { name: string }) => c.name);

    expect(columns).toEqual(["Mode", "Priority", "Rules", "Ready", "Age"]);
  });

  it.each([
    ["spec", spec],
    ["registries[]", spec.properties!.registries!.items!],
    ["registries[].source", spec.properties!.registries!.items!.properties!.source!],
    ["patterns[]", spec.properties!.patterns!.items!],
  ])("validates %s with CEL", (_where, schema) => {
    expect(schema["x-kubernetes-validations"]?.length).toBeGreaterThan(0);
  });
});

describe("ImageSwapPolicy CRD registry path rule", () => {
  // The rule is RE2 inside CEL; this pattern uses nothing RE2 and JavaScript read differently.
  const rule =
    spec.properties!.registries!.items!.properties!.source!["x-kubernetes-validations"]![0]!.rule;
  const pattern = new RegExp(/matches\('(.*)'\)/.exec(rule)![1]!.replaceAll("\\\\", "\\"));

  it.each([
    "docker.io",
    "docker.io/library",
    "registry.k8s.io",
    "localhost:5000/team/app",
    "harbor.example.com/dockerhub-proxy/library",
    "[::1]:5000",
  ])("accepts %s", source => {
    expect(pattern.test(source)).toBe(true);
  });

  it.each([
    "docker.io/Library",
    "https://docker.io",
    "docker.io/",
    "docker.io//x",
    "-bad.example.com",
    "docker.io:port",
    "docker.io/app:1.0",
    "my_registry.example.com",
  ])("rejects %s", source => {
    expect(pattern.test(source)).toBe(false);
  });
});
