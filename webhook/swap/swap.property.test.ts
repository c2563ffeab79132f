import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import {
  compile,
  isValidReference,
  type ImageSwapPolicySpec,
  type PolicyInput,
  type RuleKind,
} from "./index.js";

/**
 * Generated policies and images. Names are drawn from small pools so that rules and images meet
 * often; the last test checks that every rule kind really decides some generated images.
 */

const HOSTS = [
  "docker.io",
  "index.docker.io",
  "quay.io",
  "ghcr.io",
  "localhost:5000",
  "reg.example.com",
  "reg.example.com:443",
  "m.example.com",
  "[::1]:5000",
];
const PARTS = ["library", "nginx", "org", "app", "team", "mirror-docker.io", "x-y", "a.b", "m"];
const TARGET_HOSTS = ["m.example.com", "m.example.com:8443", "quay.io", "localhost:5000", "mirror"];
const SHA = "sha256:" + "c".repeat(64);

const host = fc.constantFrom(...HOSTS);
const path = fc
  .array(fc.constantFrom(...PARTS), { minLength: 1, maxLength: 4 })
  .map(p => p.join("/"));
const tag = fc.option(fc.constantFrom("1", "latest", "v1.2", "x_y"), { nil: undefined });
const digest = fc.option(fc.constant(SHA), { freq: 4, nil: undefined });

const image = fc
  .tuple(fc.option(host, { nil: undefined }), path, tag, digest)
  .map(([h, p, t, d]) => (h ? `${h}/` : "") + p + (t ? `:${t}` : "") + (d ? `@${d}` : ""));

/** Some generated images are invalid on purpose (uppercase, empty parts, bad tags). */
const anyImage = fc.oneof(
  { weight: 8, arbitrary: image },
  { weight: 1, arbitrary: fc.constantFrom("Nginx", "quay.io//a", "a:", "a@sha256:1", "-x/y", "") },
);

const prefix = fc
  .tuple(host, fc.array(fc.constantFrom(...PARTS), { maxLength: 2 }))
  .map(([h, p]) => [h, ...p].join("/"));
const target = fc
  .tuple(fc.constantFrom(...TARGET_HOSTS), fc.array(fc.constantFrom(...PARTS), { maxLength: 2 }))
  .map(([h, p]) => [h, ...p].join("/"));
const stem = fc.constantFrom("m.example.com/mirror-", "m.example.com/hub/cache-", "quay.io/x-");
const anyTarget = fc.oneof({ weight: 4, arbitrary: target }, { weight: 1, arbitrary: stem });

const registryRule = fc.oneof(
  fc.record({ source: prefix, target: anyTarget }),
  fc.record({ source: prefix, skip: fc.constant(true) }),
);
const exactRule = fc.record({ source: image, target: image });
const globRule = fc.record({
  glob: fc
    .tuple(
      fc.option(host, { nil: undefined }),
      fc.constantFrom("*", "*/app*", "*nginx*", "?*:1", "org/*"),
    )
    .map(([h, g]) => (h ? `${h}/${g}` : g)),
  target: fc.oneof({ weight: 4, arbitrary: target }, { weight: 1, arbitrary: fc.constant("") }),
});
const regexRule = fc.oneof(
  target.map(t => ({ regex: "^quay\\.io/(.+)$", target: `${t}/$1` })),
  target.map(t => ({ regex: "^(?:[^/]+/)*([^/]+)$", target: `${t}/r/$1` })),
  target.map(t => ({ regex: "^(.*)$", target: `${t}/all/$1` })),
  target.map(t => ({ regex: "nginx", target: `${t}/$&` })),
);

const spec: fc.Arbitrary<ImageSwapPolicySpec> = fc.record(
  {
    mode: fc.constantFrom("Enforce", "Audit") as fc.Arbitrary<"Enforce" | "Audit">,
    priority: fc.integer({ min: -2, max: 2 }),
    default: fc.oneof(anyTarget, fc.constant("")),
    registries: fc.array(registryRule, { maxLength: 5 }),
    exact: fc.array(exactRule, { maxLength: 3 }),
    patterns: fc.array(fc.oneof(globRule, regexRule), { maxLength: 3 }),
    noSwap: fc.array(fc.constantFrom("example", "org/", "ghcr", "quay.io"), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

const policies: fc.Arbitrary<PolicyInput[]> = fc
  .array(spec, { minLength: 1, maxLength: 3 })
  .map(specs => specs.map((s, i) => ({ name: `p${i}`, spec: s })));

describe("swap on generated policies and images", () => {
  it("should be idempotent: swapping a swapped image changes nothing", () => {
    fc.assert(
      fc.property(
        policies,
        fc.array(anyImage, { minLength: 1, maxLength: 8 }),
        (inputs, images) => {
          const { table } = compile(inputs, 1);
          for (const x of images) {
            const once = table.swap(x).output;
            expect(table.swap(once).output).toBe(once);
          }
        },
      ),
      { numRuns: 600 },
    );
  });

  it("should never emit an invalid reference, and leave invalid input untouched", () => {
    fc.assert(
      fc.property(
        policies,
        fc.array(anyImage, { minLength: 1, maxLength: 8 }),
        (inputs, images) => {
          const { table } = compile(inputs, 1);
          for (const x of images) {
            const decision = table.swap(x);
            if (isValidReference(x)) expect(isValidReference(decision.output)).toBe(true);
            else expect(decision).toMatchObject({ output: x, changed: false });
            expect(decision.changed).toBe(decision.output !== x);
          }
        },
      ),
      { numRuns: 600 },
    );
  });

  it("should stay idempotent per namespace when selectors pick different policies", () => {
    const selected = policies.map(inputs =>
      inputs.map((p, i) => ({
        ...p,
        spec: { ...p.spec, namespaceSelector: { matchLabels: { [`k${i}`]: "y" } } },
      })),
    );
    const labels = fc.dictionary(fc.constantFrom("k0", "k1", "k2"), fc.constant("y"));
    fc.assert(
      fc.property(selected, labels, image, (inputs, nsLabels, x) => {
        const { table } = compile(inputs, 1);
        const once = table.swap(x, nsLabels).output;
        expect(table.swap(once, nsLabels).output).toBe(once);
      }),
      { numRuns: 400 },
    );
  });

  it("should exercise every rule kind, changing images and leaving swapped ones", () => {
    const seen = new Set<string>();
    const samples = fc.sample(fc.tuple(policies, image), { numRuns: 3000, seed: 42 });
    for (const [inputs, x] of samples) {
      const { table } = compile(inputs, 1);
      const d = table.swap(x);
      const kind: RuleKind | "none" = d.rule?.kind ?? "none";
      seen.add(`${kind}:${d.alreadySwapped ? "covered" : d.changed ? "changed" : "kept"}`);
      if (d.error !== undefined && d.rule) seen.add("rule-error");
    }

    for (const kind of ["exact", "pattern", "registry", "default"])
      expect(seen).toContain(`${kind}:changed`);
    expect([...seen]).toEqual(
      expect.arrayContaining(["skip:kept", "noSwap:kept", "none:kept", "rule-error"]),
    );
    expect([...seen].some(s => s.endsWith(":covered"))).toBe(true);
  });
});
