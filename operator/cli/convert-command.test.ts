import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { compile, loadPolicyDocuments } from "../../webhook/swap/index.js";
import { run } from "./convert-command.js";
import type { CliIo } from "./io.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/mapfiles/", import.meta.url));

async function convert(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const io: CliIo = { stdout, stderr, env: {} };
  const code = await run(argv, io);
  return { code, out: stdout.read()?.toString() ?? "", err: stderr.read()?.toString() ?? "" };
}

describe("imageswap convert", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "imageswap-convert-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("should print an ImageSwapPolicy named after the file", async () => {
    const result = await convert("--map-file", join(FIXTURES, "docs-example.conf"));

    expect(result.code).toBe(0);
    expect(parse(result.out)).toEqual({
      apiVersion: "k8s.twr.io/v1alpha1",
      kind: "ImageSwapPolicy",
      metadata: { name: "docs-example" },
      spec: {
        default: "default.example.com",
        registries: [
          { source: "docker.io", target: "my.example.com/mirror-" },
          { source: "quay.io", target: "quay.example3.com" },
          { source: "gitlab.com", target: "registry.example.com/gitlab" },
          { source: "cool.io", skip: true },
          { source: "registry.internal.twr.io", target: "registry.example.com" },
          { source: "harbor.geo.pks.twr.io", target: "harbor2.com" },
        ],
        exact: [
          {
            source: "ghcr.io/fantasy/coolstuff:v1.0",
            target: "my-local-registry.com/patched-coolstuff:latest",
          },
        ],
        patterns: [{ glob: "ghcr.io/public*", target: "my-local-registry.com" }],
        noSwap: ["twr.io", "walrus.io"],
      },
    });
  });

  it("should produce a policy that loads and swaps like the map file", async () => {
    const mapFile = join(FIXTURES, "predecessor-main.conf");
    const images = [
      "alpine",
      "cool.io:443/a",
      "registry.internal.twr.io:443/x/y:1",
      "walrus.io/a",
      "gcr.io:443/a/b",
    ];

    const result = await convert("--map-file", mapFile, "--name", "legacy");
    const docs = loadPolicyDocuments(result.out, "converted.yaml");
    const fromMap = compile(
      [{ name: "m", spec: { mapFile: await readFile(mapFile, "utf8") } }],
      1,
    ).table;

    expect(docs.diagnostics).toEqual([]);
    expect(docs.inputs[0]?.name).toBe("legacy");
    expect(images.map(i => compile(docs.inputs, 1).table.swap(i).output)).toEqual(
      images.map(i => fromMap.swap(i).output),
    );
    expect(result.err).toContain(`${mapFile}:3: warning: the ":" separator is deprecated`);
  });

  it("should exit 2 naming file and line when a line cannot compile", async () => {
    const file = join(dir, "bad.conf");
    await writeFile(file, "default::ok.example.com\n[EXACT]nginx::Not/Valid\n");

    const result = await convert("--map-file", file);

    expect(result.code).toBe(2);
    expect(result.out).toBe("");
    expect(result.err).toContain(`${file}:2: error: target "Not/Valid"`);
  });

  it.each([
    [[]],
    [["--map-file", "x.conf", "--name", "Bad_Name"]],
    [["--map-file", "/no/such/file"]],
  ])("should exit 2 on %j", async argv => {
    const result = await convert(...argv);

    expect(result.code).toBe(2);
    expect(result.err).not.toBe("");
  });
});
