import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, TerminalError } from "../../webhook/errors.js";
import { assertBinaries, resolveBinDir } from "./bins.js";
import { ClusterAccess } from "./cluster-access.js";
import { etcdRevision, isEtcdHealthy, postEtcd } from "./etcd.js";
import {
  planControlPlane,
  prepareDir,
  type Component,
  type ControlPlaneState,
  type StartTimings,
} from "./plan.js";
import { isProcessOf, startProcess, stopProcess, waitUntilReady } from "./processes.js";

export type { Component, StartTimings } from "./plan.js";

/**
 * A real local Kubernetes control plane: etcd, kube-apiserver and kube-controller-manager on
 * 127.0.0.1, built by `build.sh`, as `docs/local-control-plane.md` describes. All its state
 * lives in one directory whose `state.json` lets any process (a jest worker, `cli.js down`)
 * rebuild a handle with `attachControlPlane(dir)`.
 */

export interface ControlPlaneOptions {
  /** Bin dir with the five binaries. @default the output of `test/cluster/build.sh` */
  binDir?: string;
  /** Directory to create and use. @default a fresh one under /dev/shm (tmpfs), else $TMPDIR */
  dir?: string;
  /** Per-process readiness budget. @default 60_000 */
  readyTimeoutMs?: number;
}

const STATE_FILE = "state.json";
// WARNING: stop order matters. KCM first (it would log errors against a dead apiserver), then the
// apiserver (it flushes to etcd), then etcd.
const STOP_ORDER: Component[] = ["controllerManager", "apiserver", "etcd"];

/** Starts etcd, then the apiserver, then KCM, each awaited until ready. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = options.binDir ?? (await resolveBinDir());
  assertBinaries(binDir);
  const dir = prepareDir(options.dir);
  const state = await planControlPlane(dir, binDir, options.readyTimeoutMs ?? 60_000);
  const plane = new ControlPlane(state);
  try {
    await plane.boot();
  } catch (err) {
    // A caller-chosen dir keeps its logs for a look; a temporary one goes (the error has the tail).
    await plane.stop({ keepDir: options.dir !== undefined });
    throw new TerminalError(`control plane in ${dir} did not start`, { cause: err });
  }
  return plane;
}

/**
 * A handle on a control plane that some process started, read from `<dir>/state.json`.
 * @throws ConfigError when the directory holds no state file
 */
export function attachControlPlane(dir: string): ControlPlane {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) {
    throw new ConfigError(`no control plane state in ${dir}`);
  }
  return new ControlPlane(JSON.parse(readFileSync(path, "utf8")) as ControlPlaneState);
}

/** A running control plane. Methods re-read `state.json`, so handles in other processes agree. */
export class ControlPlane extends ClusterAccess {
  /** The directory holding data, keys, kubeconfig, `state.json` and one log per process. */
  readonly dir: string;
  private state: ControlPlaneState;

  constructor(state: ControlPlaneState) {
    super(state);
    this.dir = state.dir;
    this.state = state;
  }

  /** etcd's client URL (plain HTTP on loopback), for its gateway: `POST /v3/kv/range`, ... */
  get etcdUrl(): string {
    return this.state.etcdUrl;
  }

  /** How long the start took, per component (cumulative ms since the start call). */
  get timings(): StartTimings {
    return { ...this.state.timings };
  }

  /** Log file of one process, e.g. to attach to a failing test's output. */
  logFile(component: Component): string {
    return this.state.specs[component].logFile;
  }

  /** Starts all three processes in order. Called once by `startControlPlane`. */
  async boot(): Promise<void> {
    const started = Date.now();
    await this.startComponent("etcd", () => isEtcdHealthy(this.state.etcdUrl));
    this.state.timings.etcdMs = Date.now() - started;
    await this.startComponent("apiserver", () => this.isApiserverReady());
    this.state.timings.apiserverMs = Date.now() - started;
    // KCM is ready for tests once its ServiceAccount controller made `default/default`.
    await this.startComponent("controllerManager", () => this.hasDefaultServiceAccount());
    this.state.timings.controllerManagerMs = Date.now() - started;
    this.save();
  }

  /** Stops the apiserver (SIGTERM, awaited); etcd and its data stay, for outage tests. */
  async stopApiserver(): Promise<void> {
    await this.stopComponent("apiserver");
  }

  /** Starts the apiserver again on the same port, certificate and data; resolves when ready. */
  async startApiserver(): Promise<void> {
    this.reload();
    const pid = this.state.pids.apiserver;
    if (pid !== undefined && isProcessOf(pid, this.state.specs.apiserver.binary)) {
      return;
    }
    await this.startComponent("apiserver", () => this.isApiserverReady());
  }

  /**
   * Compacts etcd at its current revision through etcd's HTTP gateway and resolves to that
   * revision; reads at older revisions are refused from then on. Note that the apiserver serves
   * watches and even `resourceVersionMatch=Exact` lists from its watch cache, which compaction
   * does not touch (verified on v1.36.3): to make clients see 410 Gone, use `expireWatches()`.
   */
  async compactEtcd(): Promise<number> {
    this.reload();
    const revision = await etcdRevision(this.state.etcdUrl);
    await postEtcd(this.state.etcdUrl, "/v3/kv/compaction", {
      revision: String(revision),
      physical: true,
    });
    return revision;
  }

  /**
   * Forces every watch to end and every resumed watch to get 410 Gone ("too old resource
   * version"), as informers meet after a long outage: compacts etcd, then restarts the
   * apiserver, whose new watch cache starts past every resourceVersion handed out before (its
   * start always writes, e.g. its identity Lease). Resolves once the apiserver is ready again.
   */
  async expireWatches(): Promise<void> {
    await this.compactEtcd();
    await this.stopApiserver();
    await this.startApiserver();
  }

  /**
   * SIGTERM KCM, apiserver and etcd in that order, each awaited, then delete the directory.
   * Safe to call twice and after a failed start.
   */
  async stop(options: { keepDir?: boolean } = {}): Promise<void> {
    this.reload();
    for (const component of STOP_ORDER) {
      await this.stopComponent(component);
    }
    if (!options.keepDir) {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** SIGKILLs every process at once, synchronously: for `process.on("exit")` hooks only. */
  killNow(): void {
    this.reload();
    for (const component of STOP_ORDER) {
      const pid = this.state.pids[component];
      if (pid !== undefined && isProcessOf(pid, this.state.specs[component].binary)) {
        process.kill(pid, "SIGKILL");
      }
    }
  }

  /** True while every process of this control plane runs. */
  isRunning(): boolean {
    this.reload();
    return STOP_ORDER.every(component => {
      const pid = this.state.pids[component];
      return pid !== undefined && isProcessOf(pid, this.state.specs[component].binary);
    });
  }

  private async startComponent(component: Component, probe: () => Promise<boolean>) {
    const spec = this.state.specs[component];
    const pid = startProcess(spec);
    this.state.pids[component] = pid;
    this.save();
    const what = `${spec.name} (pid ${pid}, log ${spec.logFile})`;
    await waitUntilReady({ what, pid, logFile: spec.logFile, timeoutMs: this.readyMs, probe });
  }

  private async stopComponent(component: Component): Promise<void> {
    this.reload();
    const pid = this.state.pids[component];
    if (pid === undefined) {
      return;
    }
    await stopProcess(pid, this.state.specs[component].binary);
    delete this.state.pids[component];
    this.save();
  }

  private get readyMs(): number {
    return this.state.readyTimeoutMs;
  }

  private async isApiserverReady(): Promise<boolean> {
    if (!existsSync(this.caFile)) {
      return false;
    }
    return (await this.request("GET", "/readyz")).status === 200;
  }

  private async hasDefaultServiceAccount(): Promise<boolean> {
    const path = "/api/v1/namespaces/default/serviceaccounts/default";
    return (await this.request("GET", path)).status === 200;
  }

  private reload(): void {
    const path = join(this.dir, STATE_FILE);
    if (existsSync(path)) {
      this.state = JSON.parse(readFileSync(path, "utf8")) as ControlPlaneState;
    }
  }

  private save(): void {
    if (existsSync(this.dir)) {
      writeFileSync(join(this.dir, STATE_FILE), JSON.stringify(this.state, null, 2), {
        mode: 0o600,
      });
    }
  }
}
