import { describe, expect, it } from "@jest/globals";
import { compile, loadPolicyDocuments } from "./index.js";

const TWO_POLICIES = `apiVersion: k8s.twr.io/v1alpha1
kind: ImageSwapPolicy
metadata:
  name: hub
  generation: 3
spec:
  registries:
    - {source: docker.io, target: hub.example.com}
    - {source: nohost, target: x.example.com}
---
apiVersion: k8s.twr.io/v1alpha1
kind: ImageSwapPolicy
metadata:
  name: legacy
spec:
  mapFile: |
    default::d.example.com
    bad line
`;

describe("loadPolicyDocuments", () => {
  it("should read every ImageSwapPolicy document of a file", () => {
    const docs = loadPolicyDocuments(TWO_POLICIES, "p.yaml");

    expect(docs.diagnostics).toEqual([]);
    expect(docs.inputs.map(i => [i.name, i.generation])).toEqual([
      ["hub", 3],
      ["legacy", undefined],
    ]);
    expect(compile(docs.inputs, 1).table.swap("quay.io/a").output).toBe("d.example.com/a");
  });

  it("should locate compile diagnostics on their file lines", () => {
    const docs = loadPolicyDocuments(TWO_POLICIES, "p.yaml");
    const { reports } = compile(docs.inputs, 1);

    const located = reports.flatMap(r =>
      r.diagnostics.map(d => [d.field, docs.lineOf(r.name, d.field)]),
    );

    expect(located).toEqual([
      ["registries[1]", 9],
      ["mapFile:2", 18],
    ]);
  });

  it.each([
    ["kind: Namespace\nmetadata: {name: x}\n", 1, 'kind is "Namespace"'],
    ["apiVersion: v1\nkind: ImageSwapPolicy\nmetadata: {name: x}\n", 1, "apiVersion"],
    ["apiVersion: k8s.twr.io/v1alpha1\nkind: ImageSwapPolicy\nmetadata: {}\n", 1, "metadata.name"],
    [
      "apiVersion: k8s.twr.io/v1alpha1\nkind: ImageSwapPolicy\nmetadata: {name: x}\nspec: [1]\n",
      1,
      "spec is not",
    ],
    ["a: 1\n", 1, "kind is missing"],
    ["- 1\n- 2\n", 1, "not a mapping"],
    ["# only a comment\n", 1, "no ImageSwapPolicy"],
    ["x: {a: 1\n\n\n", 4, "invalid YAML"],
  ])("should report %j at line %d", (text, line, message) => {
    const { diagnostics } = loadPolicyDocuments(text, "bad.yaml");

    expect(diagnostics[0]).toMatchObject({ file: "bad.yaml", line, severity: "error" });
    expect(diagnostics[0]?.message).toContain(message);
  });

  it("should report every broken document of a file", () => {
    const { diagnostics } = loadPolicyDocuments("a: 1\n---\nb: [1, 2\n", "two.yaml");

    expect(diagnostics.map(d => [d.line, d.message.slice(0, 12)])).toEqual([
      [1, "kind is miss"],
      [4, "invalid YAML"],
    ]);
  });

  it("should report a policy name used twice at the second document", () => {
    const one = "apiVersion: k8s.twr.io/v1alpha1\nkind: ImageSwapPolicy\nmetadata: {name: x}\n";

    const { inputs, diagnostics } = loadPolicyDocuments(`${one}---\n${one}`, "dup.yaml");

    expect(inputs).toHaveLength(1);
    expect(diagnostics).toEqual([
      { file: "dup.yaml", line: 5, severity: "error", message: 'policy "x" appears twice' },
    ]);
  });
});
