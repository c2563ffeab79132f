import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import type { CliIo } from "./io.js";
import { run } from "./swap-command.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/mapfiles/", import.meta.url));

const POLICIES = `apiVersion: k8s.twr.io/v1alpha1
kind: ImageSwapPolicy
metadata: {name: hub}
spec:
  registries:
    - {source: docker.io/library, target: harbor.example.com/dockerhub/library}
    - {source: registry.k8s.io, skip: true}
---
apiVersion: k8s.twr.io/v1alpha1
kind: ImageSwapPolicy
metadata: {name: audit}
spec:
  mode: Audit
  exact:
    - {source: "ghcr.io/acme/app:1.0", target: "harbor.example.com/pinned/app:1.0"}
`;

const BROKEN = `apiVersion: k8s.twr.io/v1alpha1
kind: ImageSwapPolicy
metadata: {name: broken}
spec:
  registries:
    - {source: docker.io, target: harbor.example.com}
    - {source: nohost, target: harbor.example.com}
`;

/** Runs the command with buffers for stdout and stderr. */
async function swap(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const io: CliIo = { stdout, stderr, env: {} };
  const code = await run(argv, io);
  return { code, out: stdout.read()?.toString() ?? "", err: stderr.read()?.toString() ?? "" };
}

describe("imageswap swap", () => {
  let dir: string;
  let policies: string;
  let broken: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "imageswap-swap-"));
    policies = join(dir, "policies.yaml");
    broken = join(dir, "broken.yaml");
    await writeFile(policies, POLICIES);
    await writeFile(broken, BROKEN);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("should print one resulting image per argument", async () => {
    const result = await swap(
      "--policy",
      policies,
      "nginx:1.27",
      "registry.k8s.io/pause:3.9",
      "quay.io/a/b",
    );

    expect(result).toEqual({
      code: 0,
      out: "harbor.example.com/dockerhub/library/nginx:1.27\nregistry.k8s.io/pause:3.9\nquay.io/a/b\n",
      err: "",
    });
  });

  it("should explain each decision with its rule", async () => {
    const result = await swap(
      "--policy",
      policies,
      "--explain",
      "nginx",
      "ghcr.io/acme/app:1.0",
      "quay.io/a",
    );

    expect(result.out.split("\n")).toEqual([
      "nginx -> harbor.example.com/dockerhub/library/nginx (hub registries[0]: docker.io/library -> harbor.example.com/dockerhub/library)",
      "ghcr.io/acme/app:1.0 -> harbor.example.com/pinned/app:1.0 (audit exact[0]: ghcr.io/acme/app:1.0 -> harbor.example.com/pinned/app:1.0, audit only)",
      "quay.io/a -> quay.io/a (no rule)",
      "",
    ]);
  });

  it("should print the unchanged image for an Audit decision", async () => {
    const result = await swap("--policy", policies, "ghcr.io/acme/app:1.0");

    expect(result.out).toBe("ghcr.io/acme/app:1.0\n");
  });

  it("should swap with a map file and print its skipped lines as warnings with file and line", async () => {
    const file = join(FIXTURES, "predecessor-main.conf");

    const result = await swap(
      "--map-file",
      file,
      "alpine",
      "registry.internal.twr.io:443/istio/istiod:latest",
    );

    expect(result.code).toBe(0);
    expect(result.out).toBe(
      "my.example.com/mirror-docker.io/alpine\nregistry.example.com:443/istio/istiod:latest\n",
    );
    expect(result.err).toContain(
      `${file}:14: warning: skipped: a port in the key or value needs the "::" separator`,
    );
    expect(result.err).toContain(`${file}:16: warning: skipped: no "::" separator`);
    expect(result.err).not.toContain("error");
  });

  it("should combine policy files and a map file", async () => {
    const result = await swap(
      "--policy",
      policies,
      "--map-file",
      join(FIXTURES, "predecessor-exact.conf"),
      "nginx",
      "nvcr.io/x",
    );

    expect(result.out).toBe("harbor.example.com/dockerhub/library/nginx\nharbor.example.com/x\n");
  });

  it("should exit 2 naming file and line for an invalid rule", async () => {
    const result = await swap("--policy", broken, "nginx");

    expect(result.code).toBe(2);
    expect(result.out).toBe("");
    expect(result.err).toContain(
      `${broken}:7: error: source "nohost" does not start with a registry host`,
    );
  });

  it("should exit 2 naming file and line for a file that is not a policy", async () => {
    const file = join(dir, "not-policy.yaml");
    await writeFile(file, "kind: ImageSwapPolicy\n---\nfoo: [1\n");

    const result = await swap("--policy", file, "nginx");

    expect(result.code).toBe(2);
    expect(result.err).toContain(`${file}:1: apiVersion is "undefined"`);
    expect(result.err).toContain(`${file}:4: invalid YAML`);
  });

  it("should exit 2 naming the line of a map-file rule that cannot compile", async () => {
    const file = join(dir, "bad.conf");
    await writeFile(file, "default::ok.example.com\n\ndocker.io::Bad.Example.com/UP\n");

    const result = await swap("--map-file", file, "nginx");

    expect(result.code).toBe(2);
    expect(result.err).toMatch(new RegExp(`^${file}:3: error: target .*lowercase`, "m"));
  });

  it("should exit 2 for an unreadable file", async () => {
    const result = await swap("--policy", join(dir, "missing.yaml"), "nginx");

    expect(result.code).toBe(2);
    expect(result.err).toContain("missing.yaml: cannot read: ENOENT");
  });

  it.each([[["nginx"]], [["--policy", "x.yaml"]], [["--bogus", "nginx"]]])(
    "should exit 2 on usage %j",
    async argv => {
      const result = await swap(...argv);

      expect(result.code).toBe(2);
      expect(result.err).toContain("Usage: imageswap swap");
    },
  );

  it("should exit 1 for an invalid image and print it unchanged", async () => {
    const result = await swap("--policy", policies, "Bad:Image:x", "nginx");

    expect(result.code).toBe(1);
    expect(result.out).toBe("Bad:Image:x\nharbor.example.com/dockerhub/library/nginx\n");
    expect(result.err).toContain("Bad:Image:x: ");
  });
});
