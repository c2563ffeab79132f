#!/usr/bin/env node
import { existsSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { inspect, parseArgs } from "node:util";
import { attachControlPlane, startControlPlane } from "./control-plane.js";

/**
 * `node dist/test/cluster/cli.js up|down|status [--dir DIR]`: a control plane for a developer's
 * shell (`make cluster-up` / `make cluster-down`). Its processes are detached and outlive this
 * command; the state directory, and so the kubeconfig path, stays the same between runs.
 */

const USAGE = `usage: cli.js <up|down|status> [--dir DIR]
  up      start etcd, kube-apiserver and kube-controller-manager on 127.0.0.1 (detached)
  down    stop them and delete the state directory
  status  say whether it runs and where its kubeconfig is
  --dir   state directory (default: \${XDG_CACHE_HOME:-~/.cache}/imageswap/cluster)
`;

function defaultDir(): string {
  // NOTE: a developer tool, not the operator: it reads its two variables itself.
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "imageswap", "cluster");
}

function printAccess(kubeconfigPath: string, server: string): void {
  process.stdout.write(`server: ${server}\nkubeconfig: ${kubeconfigPath}\n`);
  process.stdout.write(`export KUBECONFIG=${kubeconfigPath}\n`);
}

async function up(dir: string): Promise<number> {
  if (existsSync(join(dir, "state.json"))) {
    const existing = attachControlPlane(dir);
    if (existing.isRunning()) {
      process.stdout.write(`control plane already running in ${dir}\n`);
      printAccess(existing.kubeconfigPath, existing.server);
      return 0;
    }
    // A half-dead one (reboot, killed process): clear it and start afresh.
    await existing.stop();
  }
  rmSync(dir, { recursive: true, force: true });

  const plane = await startControlPlane({ dir });
  const { etcdMs, apiserverMs, controllerManagerMs } = plane.timings;
  process.stdout.write(
    `control plane ready in ${controllerManagerMs} ms ` +
      `(etcd ${etcdMs} ms, apiserver ${apiserverMs} ms), logs in ${dir}\n`,
  );
  printAccess(plane.kubeconfigPath, plane.server);
  return 0;
}

async function down(dir: string): Promise<number> {
  if (!existsSync(join(dir, "state.json"))) {
    process.stdout.write(`no control plane in ${dir}\n`);
    return 0;
  }
  await attachControlPlane(dir).stop();
  process.stdout.write(`control plane in ${dir} stopped\n`);
  return 0;
}

function status(dir: string): number {
  if (!existsSync(join(dir, "state.json"))) {
    process.stdout.write(`no control plane in ${dir}\n`);
    return 1;
  }
  const plane = attachControlPlane(dir);
  const running = plane.isRunning();
  process.stdout.write(`control plane in ${dir}: ${running ? "running" : "not running"}\n`);
  printAccess(plane.kubeconfigPath, plane.server);
  return running ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const dir = values.dir ?? defaultDir();
  const commands: Record<string, () => Promise<number> | number> = {
    up: () => up(dir),
    down: () => down(dir),
    status: () => status(dir),
  };
  const command = positionals.length === 1 ? commands[positionals[0] ?? ""] : undefined;
  if (values.help || !command) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  return command();
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // inspect() prints the cause chain: the process that failed and its log tail.
    process.stderr.write(`cluster: ${inspect(err)}\n`);
    process.exitCode = 1;
  },
);
