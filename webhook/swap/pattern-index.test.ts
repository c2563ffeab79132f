import { describe, expect, it } from "@jest/globals";
import { compile, type PatternRule } from "./index.js";

function swapWith(patterns: PatternRule[], image: string): string | undefined {
  const table = compile([{ name: "p", spec: { patterns } }], 1).table;
  const decision = table.swap(image);
  return decision.rule ? `${decision.output} by ${decision.rule.text}` : undefined;
}

describe("PatternIndex", () => {
  it("keeps the written order when globs with different prefixes both match", () => {
    const patterns = [
      { glob: "ghcr.io/a*", target: "m.example.com/first" },
      { glob: "ghcr.io/ab*", target: "m.example.com/second" },
    ];

    expect(swapWith(patterns, "ghcr.io/abc:1")).toBe(
      "m.example.com/first/abc:1 by glob ghcr.io/a* -> m.example.com/first",
    );
    expect(swapWith(patterns.slice().reverse(), "ghcr.io/abc:1")).toBe(
      "m.example.com/second/abc:1 by glob ghcr.io/ab* -> m.example.com/second",
    );
  });

  it("lets an earlier regex win over a later glob, and a later regex lose to an earlier glob", () => {
    const glob = { glob: "ghcr.io/ab*", target: "m.example.com/glob" };
    const regex = { regex: "^ghcr\\.io/(.+)$", target: "m.example.com/re/$1" };

    expect(swapWith([regex, glob], "ghcr.io/abc:1")).toMatch(/^m\.example\.com\/re\/abc:1 by/);
    expect(swapWith([glob, regex], "ghcr.io/abc:1")).toMatch(/^m\.example\.com\/glob\/abc:1 by/);
  });

  it("matches a glob on the normalized name when the written image has no registry", () => {
    const patterns = [{ glob: "docker.io/library/ng*", target: "m.example.com/hub" }];

    expect(swapWith(patterns, "nginx:1.25")).toMatch(/^m\.example\.com\/hub\/nginx:1\.25 by/);
  });

  it("tries a glob that starts with a wildcard for every image", () => {
    const patterns = [
      { glob: "quay.io/*", target: "m.example.com/quay" },
      { glob: "*/tools:*", target: "m.example.com/tools" },
    ];

    expect(swapWith(patterns, "ghcr.io/acme/tools:2")).toMatch(/^m\.example\.com\/tools\/tools:2/);
    expect(swapWith(patterns, "ghcr.io/acme/other:2")).toBeUndefined();
  });

  it("does not treat a literal prefix that only shares characters as a match", () => {
    const patterns = [{ glob: "ghcr.io/app?x", target: "m.example.com/x" }];

    expect(swapWith(patterns, "ghcr.io/apx")).toBeUndefined();
    expect(swapWith(patterns, "ghcr.io/app1x")).toMatch(/^m\.example\.com\/x\/app1x by/);
  });
});
