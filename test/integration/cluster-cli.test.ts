import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { isRunning } from "../cluster/processes.js";
import { testCluster } from "../cluster/test-env.js";

// `make cluster-up` / `make cluster-down`: the CLI's processes must outlive the command that
// started them, and `down` must end them. Run through the TS loader, so no build is needed
// (each call pays for loading the TypeScript compiler: a few seconds on a busy machine).

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  const argv = ["--import", "./test/cluster/register-ts.mjs", "test/cluster/cli.ts", ...args];
  try {
    const { stdout } = await run(process.execPath, argv, { cwd: ROOT, timeout: 100_000 });
    return { code: 0, stdout };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "" };
  }
}

function pidsOf(dir: string): number[] {
  const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as {
    pids: Record<string, number>;
  };
  return Object.values(state.pids);
}

describe("cluster cli", () => {
  const dir = join(mkdtempSync(join(tmpdir(), "imageswap-cli-")), "cluster");

  afterAll(async () => {
    await cli("down", "--dir", dir);
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  it("starts a detached control plane that serves after the command exits, then stops it", async () => {
    const up = await cli("up", "--dir", dir);
    const kubeconfig = join(dir, "admin.kubeconfig");
    const serviceAccount = await run(join(testCluster().binDir, "kubectl"), [
      "--kubeconfig",
      kubeconfig,
      "get",
      "serviceaccount",
      "default",
      "-n",
      "default",
      "-o",
      "name",
    ]);
    const again = await cli("up", "--dir", dir);
    const pids = pidsOf(dir);

    const down = await cli("down", "--dir", dir);
    const statusAfter = await cli("status", "--dir", dir);

    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`export KUBECONFIG=${kubeconfig}\n`);
    expect(serviceAccount.stdout.trim()).toBe("serviceaccount/default");
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining("already running") });
    expect(pids).toHaveLength(3);
    expect(down.code).toBe(0);
    expect(pids.filter(isRunning)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(statusAfter.code).toBe(1);
  });
});
