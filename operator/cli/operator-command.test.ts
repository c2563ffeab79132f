import { PassThrough } from "node:stream";
import type { CliIo } from "./io.js";
import { EXIT_OK, EXIT_USAGE } from "./io.js";
import { run } from "./operator-command.js";

function io(env: NodeJS.ProcessEnv = {}): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on("data", c => out.push(String(c)));
  stderr.on("data", c => err.push(String(c)));
  return { stdout, stderr, env, out: () => out.join(""), err: () => err.join("") };
}

describe("imageswap operator command", () => {
  it("lists every operator option with its variable and default on --help", async () => {
    const cli = io();

    const code = await run(["--help"], cli);

    expect(code).toBe(EXIT_OK);
    expect(cli.out()).toContain("--lease-duration-sec");
    expect(cli.out()).toContain("IMAGESWAP_LEASE_DURATION_SEC (default 15)");
    expect(cli.out()).not.toContain("--map-file");
  });

  it("reports every configuration problem at once and exits 2", async () => {
    const cli = io({ IMAGESWAP_LOG_LEVEL: "loud" });

    const code = await run(["--lease-duration-sec=5", "--renew-deadline-sec=10"], cli);

    expect(code).toBe(EXIT_USAGE);
    expect(cli.err()).toContain('log-level must be one of error, warn, info, debug, got "loud"');
    expect(cli.err()).toContain("lease duration (5s) must exceed renew deadline (10s)");
  });

  it("refuses options that only standalone mode reads", async () => {
    const cli = io();

    const code = await run(["--policy=policies.yaml"], cli);

    expect(code).toBe(EXIT_USAGE);
    expect(cli.err()).toContain("--policy");
  });
});
