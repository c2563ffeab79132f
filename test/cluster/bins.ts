import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../webhook/errors.js";

/** The binaries the control plane needs; `build.sh` builds all five or none. */
export const CONTROL_PLANE_BINARIES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kubectl",
  "helm",
] as const;

/**
 * The repository root, found by walking up from this file: it runs from `test/cluster/` under
 * ts-jest and from `dist/test/cluster/` once compiled, so a fixed `../..` would be wrong once.
 */
export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, "test", "cluster", "build.sh"))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new ConfigError(`no test/cluster/build.sh above ${from}`);
    }
    dir = parent;
  }
  return dir;
}

/** Throws a ConfigError naming every binary missing from `binDir`. */
export function assertBinaries(binDir: string): void {
  const missing = CONTROL_PLANE_BINARIES.filter(name => !existsSync(join(binDir, name)));
  if (missing.length > 0) {
    throw new ConfigError(missing.map(name => `control-plane binary ${name} missing in ${binDir}`));
  }
}

/**
 * Returns the cached bin directory, building it first when needed: `build.sh` is a no-op when
 * the cache is complete and blocks on its lock while another build runs (cold: ~30 min).
 */
export async function resolveBinDir(): Promise<string> {
  const script = join(findRepoRoot(), "test", "cluster", "build.sh");
  // NOTE: stderr is inherited so that a cold build's progress shows while the caller waits.
  const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, "close")) as [number | null];
  if (code !== 0) {
    throw new ConfigError(`${script} failed with exit code ${code}`);
  }

  const binDir = stdout.trim().split("\n").pop() ?? "";
  assertBinaries(binDir);
  return binDir;
}
