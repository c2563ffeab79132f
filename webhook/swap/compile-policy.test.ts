import { describe, expect, it } from "@jest/globals";
import { compile, compilePolicy, type ImageSwapPolicySpec } from "./index.js";

function diagnosticsOf(spec: unknown) {
  return compilePolicy({ name: "p", spec: spec as ImageSwapPolicySpec }).report.diagnostics;
}

describe("compilePolicy", () => {
  it("should report a valid policy ready with its rule count", () => {
    const { policy, report } = compilePolicy({
      name: "ok",
      generation: 4,
      spec: {
        default: "m.example.com",
        registries: [{ source: "quay.io", target: "m.example.com/quay" }],
        noSwap: ["internal"],
      },
    });

    expect(policy).toMatchObject({ name: "ok", priority: 0, mode: "Enforce", ruleCount: 3 });
    expect(report).toEqual({
      name: "ok",
      generation: 4,
      total: 3,
      accepted: 3,
      rejected: 0,
      diagnostics: [],
      ready: true,
      message: "3 rules",
    });
  });

  it.each([
    [
      { registries: [{ source: "quay", target: "m.example.com" }] },
      "registries[0]",
      "registry host",
    ],
    [{ registries: [{ source: "quay.io" }] }, "registries[0]", "needs a target"],
    [
      { registries: [{ source: "quay.io", target: "m.example.com", skip: true }] },
      "registries[0]",
      "not both",
    ],
    [
      { registries: [{ source: "quay.io", target: "M.example.com/Up" }] },
      "registries[0]",
      "lowercase",
    ],
    [
      { registries: [{ source: "quay.io", target: "mirror-" }] },
      "registries[0]",
      "registry before",
    ],
    [{ registries: ["quay.io"] }, "registries[0]", "must be an object"],
    [{ exact: [{ source: "Bad", target: "m.example.com/a" }] }, "exact[0]", "source"],
    [{ exact: [{ source: "a", target: "m.example.com/a:" }] }, "exact[0]", "target"],
    [
      { patterns: [{ glob: "a*", regex: "a", target: "m.example.com" }] },
      "patterns[0]",
      "exactly one",
    ],
    [{ patterns: [{ regex: "(", target: "m.example.com/$1" }] }, "patterns[0]", "does not compile"],
    [
      { patterns: [{ regex: "^(a)$", target: "m.example.com/$2" }] },
      "patterns[0]",
      "1 capture groups",
    ],
    [
      { patterns: [{ regex: "^(a)$", target: "m.example.com/$<x>" }] },
      "patterns[0]",
      "named group",
    ],
    [{ patterns: [{ regex: "^(.+)$", target: "$1" }] }, "patterns[0]", "literal prefix"],
    [{ patterns: [{ regex: "^a$", target: "m.example.com/Q/$&" }] }, "patterns[0]", "lowercase"],
    [{ patterns: [{ glob: "a*", target: "m.example.com/mirror-" }] }, "patterns[0]", "ends in -"],
    [{ noSwap: [""] }, "noSwap[0]", "empty"],
    [{ noSwap: ["a*b"] }, "noSwap[0]", "inside"],
    [{ default: "Upper.example.com/X" }, "default", "lowercase"],
  ])("should reject %j at %s", (spec, field, text) => {
    const diagnostics = diagnosticsOf(spec);

    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ policy: "p", field, severity: "error" });
    expect(diagnostics[0]?.message).toContain(text);
  });

  it("should keep the valid rules of a policy with a rejected one", () => {
    const { policy, report } = compilePolicy({
      name: "mixed",
      spec: {
        registries: [
          { source: "quay.io", target: "m.example.com/quay" },
          { source: "nohost", target: "m.example.com" },
        ],
      },
    });

    expect(report).toMatchObject({ total: 2, accepted: 1, rejected: 1, ready: false });
    expect(report.message).toBe("1 of 2 rules rejected");
    expect(
      compile(
        [
          {
            name: "mixed",
            spec: { registries: [{ source: "quay.io", target: "m.example.com/quay" }] },
          },
        ],
        1,
      ).table.swap("quay.io/a").output,
    ).toBe("m.example.com/quay/a");
    expect(policy?.ruleCount).toBe(1);
  });

  it.each([
    [{ mode: "Sometimes" }, "mode"],
    [{ priority: 1.5 }, "priority"],
    [
      { namespaceSelector: { matchExpressions: [{ key: "a", operator: "In" }] } },
      "namespaceSelector",
    ],
    [{ registries: {} }, "registries"],
    [{ mapFile: 3 }, "mapFile"],
  ])("should drop a policy that cannot be used at all: %j", (spec, field) => {
    const { policy, report } = compilePolicy({ name: "bad", spec: spec as ImageSwapPolicySpec });

    expect(policy).toBeUndefined();
    expect(report.ready).toBe(false);
    expect(report.diagnostics[0]?.field).toBe(field);
    expect(report.message).toContain("policy not usable");
  });

  it("should warn about a second rule for the same source and keep the first", () => {
    const { report } = compilePolicy({
      name: "dup",
      spec: {
        registries: [
          { source: "index.docker.io", target: "a.example.com" },
          { source: "docker.io", target: "b.example.com" },
        ],
      },
    });

    expect(report.ready).toBe(true);
    expect(report.diagnostics).toEqual([
      {
        policy: "dup",
        field: "registries[1]",
        message: "same source as registries[0]; ignored",
        severity: "warning",
      },
    ]);
  });

  it("should compile mapFile beside structured rules with map-file lines in rule references", () => {
    const { table, reports } = compile(
      [
        {
          name: "both",
          spec: {
            registries: [{ source: "quay.io", target: "q.example.com" }],
            mapFile: "# c\ndefault::d.example.com\nquay.io::ignored.example.com\nbad line",
          },
        },
      ],
      1,
    );

    expect(table.swap("gcr.io/a").rule).toMatchObject({ kind: "default", line: 2, index: 2 });
    expect(table.swap("quay.io/a").output).toBe("q.example.com/a");
    expect(reports[0]?.diagnostics.map(d => [d.field, d.severity]).sort()).toEqual([
      ["mapFile:3", "warning"],
      ["mapFile:4", "warning"],
    ]);
  });
});
