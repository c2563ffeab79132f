import { describe, expect, it } from "@jest/globals";
import { compile, emptyTable, type ImageSwapPolicySpec, type PolicyInput } from "./index.js";

const SHA = "sha256:" + "b".repeat(64);

/** The design page's example policy, every field shown. */
const HARBOR: ImageSwapPolicySpec = {
  default: "harbor.example.com/proxy",
  registries: [
    { source: "docker.io/library", target: "harbor.example.com/dockerhub/library" },
    { source: "docker.io", target: "harbor.example.com/dockerhub" },
    { source: "registry.k8s.io", skip: true },
  ],
  exact: [{ source: "ghcr.io/acme/app:1.0", target: "harbor.example.com/pinned/app:1.0" }],
  patterns: [
    { glob: "ghcr.io/public*", target: "harbor.example.com/ghcr-public" },
    { regex: "^quay\\.io/(.+)$", target: "harbor.example.com/quay/$1" },
  ],
  noSwap: ["internal.example.com"],
};

function tableOf(...inputs: PolicyInput[]) {
  return compile(inputs, 7).table;
}

describe("SwapTable.swap", () => {
  const table = tableOf({ name: "harbor-mirror", spec: HARBOR });

  it.each([
    ["ghcr.io/acme/app:1.0", "harbor.example.com/pinned/app:1.0", "exact"],
    ["ghcr.io/public-images/tool:2", "harbor.example.com/ghcr-public/tool:2", "pattern"],
    ["quay.io/org/app:3", "harbor.example.com/quay/org/app:3", "pattern"],
    ["nginx", "harbor.example.com/dockerhub/library/nginx", "registry"],
    ["docker.io/library/nginx:1.27", "harbor.example.com/dockerhub/library/nginx:1.27", "registry"],
    ["bitnami/redis:7", "harbor.example.com/dockerhub/bitnami/redis:7", "registry"],
    [
      `docker.io/bitnami/redis:7@${SHA}`,
      `harbor.example.com/dockerhub/bitnami/redis:7@${SHA}`,
      "registry",
    ],
    ["registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9", "skip"],
    ["internal.example.com/team/app", "internal.example.com/team/app", "noSwap"],
    ["gcr.io/distroless/static", "harbor.example.com/proxy/distroless/static", "default"],
    ["localhost:5000/dev/app:1", "harbor.example.com/proxy/dev/app:1", "default"],
  ])("should swap %s to %s by its %s rule", (image, output, kind) => {
    const decision = table.swap(image);

    expect(decision).toMatchObject({ input: image, output, mode: "Enforce" });
    expect(decision.changed).toBe(output !== image);
    expect(decision.rule?.kind).toBe(kind);
    expect(decision.rule?.policy).toBe("harbor-mirror");
  });

  it.each([
    "harbor.example.com/pinned/app:1.0",
    "harbor.example.com/dockerhub/library/nginx",
    "harbor.example.com/quay/org/app:3",
    "harbor.example.com/proxy/distroless/static",
  ])("should leave the already swapped %s alone", image => {
    const decision = table.swap(image);

    expect(decision).toMatchObject({ output: image, changed: false, alreadySwapped: true });
  });

  it("should prefer an exact rule over a pattern and a pattern over a registry rule", () => {
    const t = tableOf({
      name: "p",
      spec: {
        exact: [{ source: "quay.io/org/app:1", target: "mirror.example.com/exact:1" }],
        patterns: [
          { glob: "quay.io/org/*", target: "mirror.example.com/first" },
          { glob: "quay.io/*", target: "mirror.example.com/second" },
        ],
        registries: [{ source: "quay.io", target: "mirror.example.com/registry" }],
      },
    });

    expect(
      ["quay.io/org/app:1", "quay.io/org/app:2", "quay.io/x/y", "quay.io/y"].map(
        i => t.swap(i).output,
      ),
    ).toEqual([
      "mirror.example.com/exact:1",
      "mirror.example.com/first/app:2",
      "mirror.example.com/second/y",
      "mirror.example.com/second/y",
    ]);
  });

  it("should pick the longest registry rule on whole path components", () => {
    const t = tableOf({
      name: "p",
      spec: {
        registries: [
          { source: "quay.io", target: "m.example.com/quay" },
          { source: "quay.io/org", target: "m.example.com/org" },
          { source: "quay.io/org/team", skip: true },
        ],
      },
    });

    expect(
      ["quay.io/org/app", "quay.io/org/team/app", "quay.io/organic/app", "quay.io/org"].map(
        i => t.swap(i).output,
      ),
    ).toEqual([
      "m.example.com/org/app",
      "quay.io/org/team/app",
      "m.example.com/quay/organic/app",
      "m.example.com/org",
    ]);
  });

  it("should match a registry without port on any port and a registry with port on that one", () => {
    const t = tableOf({
      name: "p",
      spec: {
        registries: [
          { source: "reg.example.com", target: "m.example.com/any" },
          { source: "reg.example.com:5000", target: "m.example.com/five" },
        ],
      },
    });

    expect(
      ["reg.example.com/a", "reg.example.com:443/a", "reg.example.com:5000/a"].map(
        i => t.swap(i).output,
      ),
    ).toEqual(["m.example.com/any/a", "m.example.com/any/a", "m.example.com/five/a"]);
  });

  it("should keep noSwap images out of the default but not out of registry rules", () => {
    const t = tableOf({
      name: "p",
      spec: {
        default: "m.example.com",
        noSwap: ["acme", "docker.io"],
        registries: [{ source: "ghcr.io", target: "g.example.com" }],
      },
    });

    expect(
      ["ghcr.io/acme/app", "quay.io/acme/app", "nginx", "quay.io/other/app"].map(
        i => t.swap(i).output,
      ),
    ).toEqual(["g.example.com/acme/app", "quay.io/acme/app", "nginx", "m.example.com/other/app"]);
  });

  it("should report an invalid image and leave it untouched", () => {
    const decision = table.swap("Not/A:Valid:Image");

    expect(decision).toMatchObject({ output: "Not/A:Valid:Image", changed: false });
    expect(decision.error).toBeDefined();
  });

  it("should report a rule whose output would be invalid and leave the image", () => {
    const t = tableOf({
      name: "p",
      spec: { patterns: [{ regex: "^quay\\.io/(.+)$", target: "m.example.com/q/$1_" }] },
    });

    const decision = t.swap("quay.io/org/app");

    expect(decision).toMatchObject({
      output: "quay.io/org/app",
      changed: false,
      rule: { kind: "pattern" },
    });
    expect(decision.error).toContain("m.example.com/q/org/app_");
  });

  it("should mark decisions of an Audit policy with mode Audit", () => {
    const t = tableOf({ name: "audit", spec: { mode: "Audit", default: "m.example.com" } });

    expect(t.swap("quay.io/a/b")).toMatchObject({
      output: "m.example.com/a/b",
      changed: true,
      mode: "Audit",
    });
  });
});

describe("SwapTable between policies", () => {
  const low: PolicyInput = {
    name: "a-low",
    spec: {
      priority: 1,
      default: "low.example.com",
      registries: [{ source: "quay.io", target: "low.example.com/quay" }],
    },
  };
  const high: PolicyInput = {
    name: "b-high",
    spec: { priority: 5, registries: [{ source: "quay.io", target: "high.example.com/quay" }] },
  };
  const tie: PolicyInput = {
    name: "a-tie",
    spec: { priority: 5, registries: [{ source: "quay.io", target: "tie.example.com/quay" }] },
  };

  it("should let the higher priority win a key and report the conflict", () => {
    const t = tableOf(low, high);

    expect(t.swap("quay.io/x").output).toBe("high.example.com/quay/x");
    expect(t.swap("gcr.io/x").output).toBe("low.example.com/x");
    expect(t.policies).toEqual(["b-high", "a-low"]);
    expect(t.conflicts).toEqual([{ key: "registry quay.io", winner: "b-high", loser: "a-low" }]);
  });

  it("should break a priority tie by name", () => {
    const t = tableOf(high, tie);

    expect(t.swap("quay.io/x").output).toBe("tie.example.com/quay/x");
    expect(t.conflicts).toEqual([{ key: "registry quay.io", winner: "a-tie", loser: "b-high" }]);
  });

  it("should apply only the policies whose namespaceSelector matches the labels", () => {
    const shop: PolicyInput = {
      name: "shop",
      spec: { namespaceSelector: { matchLabels: { team: "shop" } }, default: "shop.example.com" },
    };
    const rest: PolicyInput = { name: "rest", spec: { priority: -1, default: "rest.example.com" } };
    const t = tableOf(shop, rest);

    expect(t.swap("quay.io/x", { team: "shop" }).output).toBe("shop.example.com/x");
    expect(t.swap("quay.io/x", { team: "ops" }).output).toBe("rest.example.com/x");
    expect(t.swap("quay.io/x", {}).output).toBe("rest.example.com/x");
    expect(t.swap("quay.io/x").output).toBe("shop.example.com/x");
  });

  it("should stay correct past the bound on cached policy selections", () => {
    const inputs = Array.from({ length: 9 }, (_, i): PolicyInput => ({
      name: `p${i}`,
      spec: {
        priority: i,
        namespaceSelector: { matchLabels: { [`k${i}`]: "on" } },
        default: `m${i}.example.com`,
      },
    }));
    const t = tableOf(...inputs);

    for (let mask = 1; mask < 512; mask++) {
      const labels = Object.fromEntries(
        inputs.flatMap((_, i) => (mask & (1 << i) ? [[`k${i}`, "on"]] : [])),
      );
      const top = 31 - Math.clz32(mask);
      expect(t.swap("quay.io/x", labels).output).toBe(`m${top}.example.com/x`);
    }
  });

  it("should count rules and carry the generation", () => {
    const t = tableOf(low, high);

    expect(t).toMatchObject({ generation: 7, ruleCount: 3 });
  });
});

describe("emptyTable", () => {
  it("should leave every image unchanged", () => {
    expect(emptyTable(3).swap("nginx")).toEqual({
      input: "nginx",
      output: "nginx",
      changed: false,
      mode: "Enforce",
    });
  });
});
