import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { run } from "../../operator/cli/webhook-command.js";
import type { TestCertificate } from "../fixtures/admission/harness.js";
import {
  getPlain,
  makeCertificate,
  patchOf,
  post,
  waitForLine,
} from "../fixtures/admission/harness.js";
import { loadReview } from "../fixtures/admission/load.js";

function policyYaml(target: string): string {
  return [
    "apiVersion: k8s.twr.io/v1alpha1",
    "kind: ImageSwapPolicy",
    "metadata:",
    "  name: mirror",
    "spec:",
    "  registries:",
    `    - {source: docker.io/library, target: ${target}/library}`,
    `    - {source: quay.io, target: ${target}/quay}`,
    "",
  ].join("\n");
}

interface Cli {
  exit: Promise<number>;
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
}

function startCli(args: string[]): Cli {
  const lines: Array<Record<string, unknown>> = [];
  let errText = "";
  const stdout = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString().split("\n"))
        if (line.startsWith("{")) lines.push(JSON.parse(line));
      done();
    },
  });
  const stderr = new Writable({
    write(chunk: Buffer, _e, done) {
      errText += chunk.toString();
      done();
    },
  });
  return { exit: run(args, { stdout, stderr, env: {} }), lines, stderr: () => errText };
}

/** Requests until `check` passes on a response: reloads land asynchronously. */
async function eventually<T>(attempt: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await attempt();
    if (check(value)) return value;
    await new Promise(resolve => setTimeout(resolve, 25));
  }
  throw new Error("condition never held");
}

function servedFingerprint(port: number, ca: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    import("node:tls").then(tls => {
      const socket = tls.connect({ host: "127.0.0.1", port, ca }, () => {
        resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? "");
        socket.end();
      });
      socket.on("error", reject);
    }, reject);
  });
}

describe("imageswap webhook (standalone)", () => {
  let dir: string;
  let cert: TestCertificate;
  const paths = { cert: "", key: "", policy: "", map: "" };
  const serveArgs = () => [
    "--tls-cert",
    paths.cert,
    "--tls-key",
    paths.key,
    "--port",
    "0",
    "--metrics-port",
    "0",
    "--bind-address",
    "127.0.0.1",
  ];

  beforeAll(async () => {
    cert = await makeCertificate();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "imageswap-standalone-"));
    Object.assign(paths, {
      cert: join(dir, "tls.crt"),
      key: join(dir, "tls.key"),
      policy: join(dir, "policy.yaml"),
      map: join(dir, "maps.conf"),
    });
    await writeFile(paths.cert, cert.cert);
    await writeFile(paths.key, cert.key);
    await writeFile(paths.policy, policyYaml("a.example.com"));
    await writeFile(paths.map, "# predecessor map\nquay.io::mirror.example.com/quay\n");
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves from policy files, reloads policy and certificate edits, and stops on SIGTERM", async () => {
    const cli = startCli(["--policy", paths.policy, ...serveArgs()]);
    const { port, metricsPort } = (await waitForLine(
      cli.lines,
      l => l.message === "webhook serving",
    )) as { port: number; metricsPort: number };
    const image = async () =>
      patchOf(await post(port, loadReview("pod-create"), { ca: cert.ca })).find(
        op => op.path === "/spec/containers/0/image",
      )?.value;

    expect(await image()).toBe("a.example.com/library/nginx:1.25");
    expect((await getPlain(metricsPort, "/readyz")).status).toBe(200);

    await writeFile(paths.policy, policyYaml("b.example.com"));
    expect(await eventually(image, v => v !== "a.example.com/library/nginx:1.25")).toBe(
      "b.example.com/library/nginx:1.25",
    );

    await writeFile(
      paths.policy,
      "apiVersion: k8s.twr.io/v1alpha1\nkind: ImageSwapPolicy\nmetadata: {name: broken}\nspec: {registries: [{source: '', target: 5}]}\n",
    );
    const rejected = await waitForLine(
      cli.lines,
      l => l.message === "policy reload rejected; keeping the current table",
    );
    expect(rejected).toMatchObject({ level: "warn", generation: 2 });
    expect(await image()).toBe("b.example.com/library/nginx:1.25");

    const next = await makeCertificate({ commonName: "imageswap-next" });
    await writeFile(paths.key, next.key);
    await writeFile(paths.cert, next.cert);
    const served = await eventually(
      () => servedFingerprint(port, [cert.ca, next.ca]),
      f => f !== new X509Certificate(cert.cert).fingerprint256,
    );
    expect(served).toBe(new X509Certificate(next.cert).fingerprint256);

    process.emit("SIGTERM");
    expect(await cli.exit).toBe(0);
    await expect(post(port, loadReview("pod-create"), { ca: cert.ca })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it("serves a predecessor map file", async () => {
    const cli = startCli(["--map-file", paths.map, ...serveArgs()]);
    const { port } = (await waitForLine(cli.lines, l => l.message === "webhook serving")) as {
      port: number;
    };

    const patch = patchOf(await post(port, loadReview("pod-create"), { ca: cert.ca }));

    expect(patch.find(op => op.path === "/spec/containers/1/image")?.value).toBe(
      "mirror.example.com/quay/prometheus/nginx-exporter:v1.1.0",
    );
    expect(patch.find(op => op.path === "/spec/containers/0/image")).toBeUndefined();
    process.emit("SIGINT");
    expect(await cli.exit).toBe(0);
  });

  it.each([
    [[], ["--tls-cert is required", "--tls-key is required", "give either --policy"]],
    [
      ["--tls-cert", "c", "--tls-key", "k", "--policy", "p", "--map-file", "m"],
      ["not both or neither"],
    ],
    [
      ["--tls-cert", "c", "--tls-key", "k", "--policy", "p", "--kubeconfig", "x"],
      ["Unknown option '--kubeconfig'"],
    ],
    [
      ["--tls-cert", "c", "--tls-key", "k", "--map-file", "m", "--port", "http"],
      ['port must be an integer, got "http"'],
    ],
  ])("exits 2 listing every problem with the flags %j", async (args, expected) => {
    const cli = startCli(args);

    expect(await cli.exit).toBe(2);
    for (const text of expected) expect(cli.stderr()).toContain(text);
  });

  it("exits 2 naming every file it cannot read", async () => {
    const cli = startCli([
      "--policy",
      join(dir, "missing.yaml"),
      "--tls-cert",
      join(dir, "no.crt"),
      "--tls-key",
      paths.key,
      "--port",
      "0",
      "--metrics-port",
      "0",
    ]);

    expect(await cli.exit).toBe(2);
    expect(cli.stderr()).toMatch(/missing\.yaml: cannot read: ENOENT/);
  });

  it("exits 2 with file and line when a policy does not compile", async () => {
    const text = policyYaml("a.example.com").replace("a.example.com/quay", "Not A Registry!");
    await writeFile(paths.policy, text);
    const cli = startCli(["--policy", paths.policy, ...serveArgs()]);

    expect(await cli.exit).toBe(2);
    expect(cli.stderr()).toMatch(
      new RegExp(`${paths.policy}:8: .*\\(policy mirror, registries\\[1\\]`),
    );
  });

  it("exits 2 when the certificate and key do not belong together", async () => {
    await writeFile(paths.key, (await makeCertificate()).key);
    const cli = startCli(["--policy", paths.policy, ...serveArgs()]);

    expect(await cli.exit).toBe(2);
    expect(cli.stderr()).toContain("initial serving certificate was rejected");
  });

  it("exits 1 when the port is taken", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await new Promise(resolve => blocker.once("listening", resolve));
    const taken = String((blocker.address() as { port: number }).port);
    try {
      const cli = startCli(["--policy", paths.policy, ...serveArgs(), "--port", taken]);

      expect(await cli.exit).toBe(1);
      expect(cli.stderr()).toContain("EADDRINUSE");
    } finally {
      blocker.close();
    }
  });

  it("prints its options on --help", async () => {
    const cli = startCli(["--help"]);

    expect(await cli.exit).toBe(0);
  });
});
