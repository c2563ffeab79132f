import { describe, expect, it } from "@jest/globals";
import { compile, describeDecision } from "./index.js";

describe("describeDecision", () => {
  const { table } = compile(
    [
      {
        name: "p",
        spec: {
          default: "d.example.com",
          registries: [{ source: "k8s.gcr.io", skip: true }],
          patterns: [{ regex: "^quay\\.io/(.+)$", target: "q.example.com/x/$1_" }],
          mapFile: "gcr.io::g.example.com",
        },
      },
      {
        name: "watch",
        spec: {
          mode: "Audit",
          priority: 9,
          exact: [{ source: "a:1", target: "e.example.com/a:1" }],
        },
      },
    ],
    1,
  );

  it.each([
    [
      "quay.io/a",
      'quay.io/a -> quay.io/a (p patterns[0]: regex ^quay\\.io/(.+)$ -> q.example.com/x/$1_; error: rule would produce "q.example.com/x/a_", which is not valid: repository path component "a_" is not valid)',
    ],
    ["k8s.gcr.io/pause", "k8s.gcr.io/pause -> k8s.gcr.io/pause (p registries[0]: k8s.gcr.io skip)"],
    ["gcr.io/a", "gcr.io/a -> g.example.com/a (p mapFile:1: gcr.io -> g.example.com)"],
    ["ghcr.io/a", "ghcr.io/a -> d.example.com/a (p default: default -> d.example.com)"],
    [
      "d.example.com/a",
      "d.example.com/a -> d.example.com/a (already under the target of p default: default -> d.example.com)",
    ],
    ["a:1", "a:1 -> e.example.com/a:1 (watch exact[0]: a:1 -> e.example.com/a:1, audit only)"],
    ["UPPER", "UPPER -> UPPER (error: repository name must be lowercase)"],
  ])("should explain %s", (image, text) => {
    expect(describeDecision(table.swap(image))).toBe(text);
  });
});
