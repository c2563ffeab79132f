import { TerminalError } from "../../webhook/errors.js";

/**
 * etcd's side of the control plane: its flags, health probe and the two calls of its HTTP
 * gateway (JSON over gRPC, on the client URL) that outage tests need.
 */

/** Flags for a single-member etcd on loopback, data in `dataDir`. */
export function etcdArgs(dataDir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    "--name=imageswap",
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=imageswap=${peer}`,
    // Test data is thrown away at the end; fsync per write only costs time on a busy disk.
    "--unsafe-no-fsync",
    "--log-level=warn",
  ];
}

/** True once etcd answers `/health` with `{"health":"true"}`. */
export async function isEtcdHealthy(etcdUrl: string): Promise<boolean> {
  const res = await fetch(`${etcdUrl}/health`);
  if (res.status !== 200) {
    return false;
  }
  const body = (await res.json()) as { health?: string };
  return body.health === "true";
}

/** POSTs a JSON body to etcd's gateway and returns the parsed reply. */
export async function postEtcd(etcdUrl: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${etcdUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new TerminalError(`etcd ${path} answered ${res.status}: ${text}`);
  }
  return JSON.parse(text) as unknown;
}

/** The store's current revision, read from the header of a one-key range request. */
export async function etcdRevision(etcdUrl: string): Promise<number> {
  // The gateway takes keys base64-encoded; any key works, only the header matters.
  const reply = (await postEtcd(etcdUrl, "/v3/kv/range", {
    key: Buffer.from("/").toString("base64"),
    limit: 1,
  })) as { header?: { revision?: string } };
  const revision = Number(reply.header?.revision);
  if (!Number.isSafeInteger(revision) || revision <= 0) {
    throw new TerminalError(`etcd range reply has no revision: ${JSON.stringify(reply.header)}`);
  }
  return revision;
}
