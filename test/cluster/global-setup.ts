import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { resolveBinDir } from "./bins.js";
import { attachControlPlane, startControlPlane } from "./control-plane.js";
import { ENV_BIN_DIR, ENV_CLUSTER_DIR, ENV_KUBECONFIG, readEndpoint } from "./test-env.js";

/** Set when this run started the control plane, so that the teardown stops only its own. */
export const ENV_OWNED = "IMAGESWAP_TEST_CLUSTER_OWNED";

/**
 * jest global setup of the "integration" project: starts one control plane for the whole run,
 * or reuses the cluster that IMAGESWAP_TEST_KUBECONFIG names (e.g. from `make cluster-up`).
 * Test files read it through test-env.ts; the variables set here reach them because jest
 * starts its workers after this returns.
 */
export default async function globalSetup(): Promise<void> {
  const binDir = await resolveBinDir();
  process.env[ENV_BIN_DIR] = binDir;
  const reuse = process.env[ENV_KUBECONFIG];
  if (reuse) {
    const cluster = readEndpoint(reuse, binDir);
    await cluster.kubectl(["get", "--raw", "/readyz"]);
    const stateDir = dirname(reuse);
    if (existsSync(join(stateDir, "state.json"))) {
      process.env[ENV_CLUSTER_DIR] = stateDir;
    }
    process.stderr.write(`\nintegration: reusing the cluster at ${cluster.server}\n`);
    return;
  }

  const started = Date.now();
  const plane = await startControlPlane({ binDir });
  process.env[ENV_KUBECONFIG] = plane.kubeconfigPath;
  process.env[ENV_CLUSTER_DIR] = plane.dir;
  process.env[ENV_OWNED] = "true";
  killOnExit(plane.dir);
  const ms = Date.now() - started;
  process.stderr.write(`\nintegration: control plane ready in ${ms} ms at ${plane.server}\n`);
}

/**
 * Last resort when jest exits without running the teardown (crash, Ctrl-C): the processes
 * were started detached, so nothing else would end them. Only synchronous calls work here.
 */
function killOnExit(dir: string): void {
  process.once("exit", () => {
    if (!existsSync(join(dir, "state.json"))) {
      return;
    }
    attachControlPlane(dir).killNow();
    rmSync(dir, { recursive: true, force: true });
  });
}
