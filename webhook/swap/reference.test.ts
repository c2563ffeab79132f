import { describe, expect, it } from "@jest/globals";
import { formatReference, hostOf, parseReference } from "./reference.js";

const SHA = "sha256:" + "a".repeat(64);

describe("parseReference", () => {
  it.each([
    ["nginx", "docker.io", "library/nginx", "nginx", undefined, undefined],
    ["nginx:1.27", "docker.io", "library/nginx", "nginx", "1.27", undefined],
    ["docker.io/nginx", "docker.io", "library/nginx", "nginx", undefined, undefined],
    [
      "docker.io/library/nginx",
      "docker.io",
      "library/nginx",
      "library/nginx",
      undefined,
      undefined,
    ],
    [
      "index.docker.io/library/nginx",
      "docker.io",
      "library/nginx",
      "library/nginx",
      undefined,
      undefined,
    ],
    ["index.docker.io/nginx", "docker.io", "library/nginx", "nginx", undefined, undefined],
    [
      "tmobile/magtape:latest",
      "docker.io",
      "tmobile/magtape",
      "tmobile/magtape",
      "latest",
      undefined,
    ],
    ["localhost/app", "localhost", "app", "app", undefined, undefined],
    ["localhost:5000/app:v1", "localhost:5000", "app", "app", "v1", undefined],
    ["registry:5000/team/app", "registry:5000", "team/app", "team/app", undefined, undefined],
    ["quay.io/org/app", "quay.io", "org/app", "org/app", undefined, undefined],
    [
      "gcr.io:443/istio/istiod:latest",
      "gcr.io:443",
      "istio/istiod",
      "istio/istiod",
      "latest",
      undefined,
    ],
    ["[::1]:5000/app", "[::1]:5000", "app", "app", undefined, undefined],
    ["10.0.0.1:5000/app", "10.0.0.1:5000", "app", "app", undefined, undefined],
    [`ghcr.io/a/b@${SHA}`, "ghcr.io", "a/b", "a/b", undefined, SHA],
    [`ghcr.io/a/b:1.0@${SHA}`, "ghcr.io", "a/b", "a/b", "1.0", SHA],
    [`kindest/node@${SHA}`, "docker.io", "kindest/node", "kindest/node", undefined, SHA],
    [
      "a/b__c/d-e.f_g--h",
      "docker.io",
      "a/b__c/d-e.f_g--h",
      "a/b__c/d-e.f_g--h",
      undefined,
      undefined,
    ],
    ["Example.COM/app", "Example.COM", "app", "app", undefined, undefined],
  ])("should parse %s", (text, domain, path, writtenPath, tag, digest) => {
    const result = parseReference(text);

    expect(result).toEqual({ ok: true, ref: { domain, path, writtenPath, tag, digest } });
  });

  it.each([
    ["", "empty"],
    [" nginx", "spaces"],
    ["Nginx", "lowercase"],
    ["docker.io/Library/nginx", "lowercase"],
    ["quay.io//app", "empty component"],
    ["quay.io/app/", "empty component"],
    ["/app", "empty component"],
    ["nginx:", "tag"],
    ["nginx:-bad", "tag"],
    ["nginx:" + "t".repeat(129), "tag"],
    ["nginx@sha256:abc", "digest"],
    ["nginx@md5:" + "a".repeat(32), "not supported"],
    ["nginx@sha256:" + "A".repeat(64), "lowercase hex"],
    ["nginx@sha256:" + "a".repeat(63), "lowercase hex"],
    ["quay.io:port/app", "port"],
    ["-bad.io/app", "host"],
    ["a..b/app", "host"],
    ["app-/x", "not valid"],
    ["a".repeat(64), "image ID"],
    ["quay.io/" + "a".repeat(250), "above 255"],
    ["nginx@sha256:" + "a".repeat(64) + "@x", "digest"],
  ])("should reject %j (%s)", (text, problem) => {
    const result = parseReference(text);

    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.error).toContain(problem);
  });
});

describe("formatReference", () => {
  it.each([
    ["nginx", "docker.io/library/nginx"],
    ["index.docker.io/nginx:1", "docker.io/library/nginx:1"],
    [`localhost:5000/a/b:1@${SHA}`, `localhost:5000/a/b:1@${SHA}`],
    ["quay.io/org/app", "quay.io/org/app"],
  ])("should print %s fully qualified as %s", (text, printed) => {
    const result = parseReference(text);

    expect(result.ok && formatReference(result.ref)).toBe(printed);
  });

  it("should round-trip a canonical reference through parse and format", () => {
    const text = `registry.example.com:8443/team/app:v2@${SHA}`;

    const result = parseReference(text);

    expect(result.ok && formatReference(result.ref)).toBe(text);
  });
});

describe("hostOf", () => {
  it.each([
    ["quay.io", "quay.io"],
    ["quay.io:443", "quay.io"],
    ["[::1]:5000", "[::1]"],
    ["[::1]", "[::1]"],
  ])("should strip the port of %s", (domain, host) => {
    expect(hostOf(domain)).toBe(host);
  });
});
