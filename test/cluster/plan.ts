import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeCredentials, writeKubeconfig, type CredentialFiles } from "./credentials.js";
import { etcdArgs } from "./etcd.js";
import { freePort, type ProcessSpec } from "./processes.js";

/**
 * What a control plane is made of before any process runs: its directory, ports, credentials,
 * kubeconfig and the exact command line of each process. Saved as `state.json`, with the pids.
 */

/** Milliseconds from the start call until each component was ready (cumulative). */
export interface StartTimings {
  etcdMs: number;
  apiserverMs: number;
  controllerManagerMs: number;
}

export type Component = "etcd" | "apiserver" | "controllerManager";

export interface ControlPlaneState {
  dir: string;
  binDir: string;
  kubeconfigPath: string;
  server: string;
  caFile: string;
  token: string;
  etcdUrl: string;
  readyTimeoutMs: number;
  timings: StartTimings;
  specs: Record<Component, ProcessSpec>;
  pids: Partial<Record<Component, number>>;
}

export function prepareDir(dir: string | undefined): string {
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
  // etcd writes its WAL on every change: tmpfs keeps that off the disk the Go build also uses.
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  return mkdtempSync(join(base, "imageswap-cp-"));
}

interface Paths {
  dir: string;
  caFile: string;
  kubeconfigPath: string;
  creds: CredentialFiles;
}

function apiserverArgs(p: Paths, etcdUrl: string, apiPort: number): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    // Set explicitly: unset, a loopback bind makes the apiserver look for a default route.
    "--advertise-address=127.0.0.1",
    // Endpoints reject 127.0.0.0/8, so the `kubernetes` Service endpoint cannot be kept.
    "--endpoint-reconciler-type=none",
    `--cert-dir=${join(p.dir, "apiserver")}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${p.creds.saPubFile}`,
    `--service-account-signing-key-file=${p.creds.saKeyFile}`,
    "--authorization-mode=RBAC",
    `--token-auth-file=${p.creds.tokenFile}`,
    "--allow-privileged=true",
    // Unset, a SIGTERM waits ~60 s for open watches (KCM's, the tests' informers) to drain.
    "--shutdown-watch-termination-grace-period=2s",
  ];
}

function controllerManagerArgs(p: Paths): string[] {
  return [
    `--kubeconfig=${p.kubeconfigPath}`,
    "--leader-elect=false",
    // 0 turns KCM's own HTTPS off: no port to pick, no delegated authn kubeconfigs needed.
    "--secure-port=0",
    "--controllers=*",
    // NOTE: in 1.36 this only enables legacy Secret-based tokens; TokenRequest does not need it.
    `--service-account-private-key-file=${p.creds.saKeyFile}`,
    `--root-ca-file=${p.caFile}`,
  ];
}

/** Picks ports, writes keys, token file and kubeconfig into `dir`, and fixes every command line. */
export async function planControlPlane(
  dir: string,
  binDir: string,
  readyTimeoutMs: number,
): Promise<ControlPlaneState> {
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const creds = writeCredentials(dir);
  const server = `https://127.0.0.1:${apiPort}`;
  const caFile = join(dir, "apiserver", "apiserver.crt");
  const kubeconfigPath = writeKubeconfig(join(dir, "admin.kubeconfig"), {
    server,
    caFile,
    token: creds.token,
  });

  const paths: Paths = { dir, caFile, kubeconfigPath, creds };
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const spec = (binary: string, args: string[]): ProcessSpec => ({
    name: binary,
    binary: join(binDir, binary),
    args,
    logFile: join(dir, `${binary}.log`),
  });
  return {
    dir,
    binDir,
    kubeconfigPath,
    server,
    caFile,
    token: creds.token,
    etcdUrl,
    readyTimeoutMs,
    timings: { etcdMs: 0, apiserverMs: 0, controllerManagerMs: 0 },
    specs: {
      etcd: spec("etcd", etcdArgs(join(dir, "etcd"), etcdPort, peerPort)),
      apiserver: spec("kube-apiserver", apiserverArgs(paths, etcdUrl, apiPort)),
      controllerManager: spec("kube-controller-manager", controllerManagerArgs(paths)),
    },
    pids: {},
  };
}
