import { buildStandaloneTable, mapFilePolicyName } from "./standalone-table.js";

const policy = (name: string, body: string) =>
  `apiVersion: k8s.twr.io/v1alpha1\nkind: ImageSwapPolicy\nmetadata:\n  name: ${name}\nspec:\n${body}`;

describe("buildStandaloneTable", () => {
  it("compiles every policy file into one table of the given generation", () => {
    const sources = [
      {
        file: "a.yaml",
        text: policy("a", "  registries:\n    - {source: quay.io, target: m.example.com/quay}\n"),
      },
      {
        file: "b.yaml",
        text: policy("b", "  exact:\n    - {source: 'x:1', target: 'm.example.com/x:1'}\n"),
      },
    ];

    const result = buildStandaloneTable(sources, "policy", 7);

    expect(result.errors).toEqual([]);
    expect(result.table?.generation).toBe(7);
    expect(result.table?.policies).toEqual(["a", "b"]);
    expect(result.table?.swap("quay.io/app:1").output).toBe("m.example.com/quay/app:1");
  });

  it("returns no table, and every error with file and line, when a rule does not compile", () => {
    const text = policy(
      "a",
      "  registries:\n    - {source: quay.io, target: m.example.com}\n    - {source: 'Bad Host', target: m}\n",
    );

    const result = buildStandaloneTable([{ file: "a.yaml", text }], "policy", 1);

    expect(result.table).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^a\.yaml:8: .*\(policy a, registries\[1\]\)$/);
  });

  it("reports a document that is not a policy with its file and line", () => {
    const result = buildStandaloneTable(
      [{ file: "p.yaml", text: "kind: ConfigMap\n" }],
      "policy",
      1,
    );

    expect(result.table).toBeUndefined();
    expect(result.errors[0]).toMatch(/^p\.yaml:1: /);
  });

  it("compiles a map file as one policy named after the file", () => {
    const result = buildStandaloneTable(
      [{ file: "/etc/maps/imageswap-maps.conf", text: "quay.io::m.example.com/quay\n" }],
      "mapFile",
      1,
    );

    expect(result.table?.policies).toEqual(["imageswap-maps"]);
    expect(result.table?.swap("quay.io/app:1").output).toBe("m.example.com/quay/app:1");
  });

  it("warns about two policies mapping one key", () => {
    const rule = "  registries:\n    - {source: quay.io, target: m.example.com/quay}\n";
    const sources = [
      { file: "a.yaml", text: policy("a", rule) },
      { file: "b.yaml", text: policy("b", rule.replace("m.example.com", "n.example.com")) },
    ];

    const result = buildStandaloneTable(sources, "policy", 1);

    expect(result.table).toBeDefined();
    expect(result.warnings.some(w => w.includes("quay.io"))).toBe(true);
  });
});

describe("mapFilePolicyName", () => {
  it.each([
    ["maps/imageswap-maps.conf", "imageswap-maps"],
    ["/x/My_Maps.txt", "my-maps"],
    ["___", "map-file"],
  ])("names %s %s", (file, name) => {
    expect(mapFilePolicyName(file)).toBe(name);
  });
});
