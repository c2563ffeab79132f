import { describe, expect, it } from "@jest/globals";
import { parseMapFile, policyFromMapFile } from "./map-file.js";

describe("parseMapFile", () => {
  it("should read keys and values as the predecessor did", () => {
    const text = [
      "# whole-line comment",
      "default::d.example.com # trailing comment",
      "  docker.io :: my.example.com/mirror-  ",
      "quay.io:q.example.com",
      "cool.io::",
      "noswap_wildcards:: a.io , b.io",
      "[EXACT]redis::m.example.com/redis:7",
      "[REPLACE]hello-*::m.example.com/hello",
      "",
    ].join("\n");

    const { entries } = parseMapFile(text);

    expect(entries).toEqual([
      { line: 2, kind: "default", key: "default", value: "d.example.com" },
      { line: 3, kind: "registry", key: "docker.io", value: "my.example.com/mirror-" },
      { line: 4, kind: "registry", key: "quay.io", value: "q.example.com" },
      { line: 5, kind: "registry", key: "cool.io", value: "" },
      { line: 6, kind: "noSwap", key: "noswap_wildcards", value: "a.io" },
      { line: 6, kind: "noSwap", key: "noswap_wildcards", value: "b.io" },
      { line: 7, kind: "exact", key: "redis", value: "m.example.com/redis:7" },
      { line: 8, kind: "replace", key: "hello-*", value: "m.example.com/hello" },
    ]);
  });

  it.each([
    ["quay.io:q.example.com", 'the ":" separator is deprecated'],
    ["a.io:b.io:5000/x", 'needs the "::" separator'],
    ["a.io::b::c", 'more than one "::"'],
    ["a.io;b.io", 'no "::" separator'],
    ["::b.io", "the key is empty"],
    ["hello-world::m.example.com/hw", "not a registry"],
    ["ubutun:18.04::m.example.com/u", "not a registry"],
    ["quay.io/org::m.example.com/org", "path prefix"],
    ["default::d.example.com\nnoswap_wildcards::a.io,", "empty noswap_wildcards entry"],
    ["default::d.example.com\nnoswap_wildcards::*a.io*", 'matched "*" literally'],
    ["quay.io::q.example.com", "no default entry"],
  ])("should warn about %j", (text, message) => {
    const { diagnostics } = parseMapFile(text);

    expect(diagnostics.map(d => d.severity)).toContain("warning");
    expect(diagnostics.map(d => d.message).join("\n")).toContain(message);
  });

  it("should let a later duplicate win in the earlier position and warn on the earlier line", () => {
    const text =
      "[REPLACE]a*::one.example.com\n[REPLACE]b*::two.example.com\n[REPLACE]a*::three.example.com";

    const { entries, diagnostics } = parseMapFile(text);

    expect(entries.map(e => [e.key, e.value, e.line])).toEqual([
      ["a*", "three.example.com", 3],
      ["b*", "two.example.com", 2],
    ]);
    expect(diagnostics).toEqual([
      {
        line: 1,
        severity: "warning",
        message: "overridden by line 3, a later line with the same key",
      },
    ]);
  });

  it("should report the line numbers of warnings, 0 for the file as a whole", () => {
    const { diagnostics } = parseMapFile("quay.io::q.example.com\n\nbad\n");

    expect(diagnostics.map(d => d.line)).toEqual([0, 3]);
  });
});

describe("policyFromMapFile", () => {
  it("should build the structured spec of every rule kind", () => {
    const text = [
      "default::d.example.com",
      "docker.io::hub.example.com",
      "gcr.io::",
      "noswap_wildcards::a.io,b.io",
      "[EXACT]redis::m.example.com/redis:7",
      "[REPLACE]hello-*::m.example.com/hello",
    ].join("\n");

    const { input, diagnostics } = policyFromMapFile(text, "legacy");

    expect(diagnostics).toEqual([]);
    expect(input).toEqual({
      name: "legacy",
      spec: {
        default: "d.example.com",
        registries: [
          { source: "docker.io", target: "hub.example.com" },
          { source: "gcr.io", skip: true },
        ],
        exact: [{ source: "redis", target: "m.example.com/redis:7" }],
        patterns: [{ glob: "hello-*", target: "m.example.com/hello" }],
        noSwap: ["a.io", "b.io"],
      },
    });
  });
});
