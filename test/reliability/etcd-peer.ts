import { POLICY_GROUP, POLICY_PLURAL } from "../../operator/k8s/resources.js";
import type { ImageSwapPolicySpec } from "../../webhook/swap/index.js";
import { TerminalError } from "../../webhook/errors.js";
import { postEtcd } from "../cluster/etcd.js";

/**
 * Writes to a policy straight into etcd, while our apiserver is down: what a second apiserver of
 * an HA control plane does while the operator's own apiserver is unreachable. The operator can
 * only learn of such a change once it lists or watches again.
 *
 * Custom resources are stored as JSON under `/registry/<group>/<plural>/<name>` (the apiserver's
 * default prefix; cluster-scoped, so no namespace segment). The apiserver reads them back at
 * start; only `metadata.generation` must be raised by hand, as the apiserver would on a spec
 * change, since the operator compiles once per generation.
 */

function policyKey(name: string): string {
  return `/registry/${POLICY_GROUP}/${POLICY_PLURAL}/${name}`;
}

const base64 = (text: string): string => Buffer.from(text).toString("base64");

interface StoredPolicy {
  metadata: { generation?: number };
  spec: ImageSwapPolicySpec;
}

async function readStored(etcdUrl: string, name: string): Promise<StoredPolicy> {
  const reply = (await postEtcd(etcdUrl, "/v3/kv/range", { key: base64(policyKey(name)) })) as {
    kvs?: Array<{ value: string }>;
  };
  const value = reply.kvs?.[0]?.value;
  if (value === undefined) throw new TerminalError(`policy ${name} is not in etcd`);
  return JSON.parse(Buffer.from(value, "base64").toString("utf8")) as StoredPolicy;
}

/** Replaces the spec of a stored policy and raises its generation. */
export async function writePolicySpec(
  etcdUrl: string,
  name: string,
  spec: ImageSwapPolicySpec,
): Promise<void> {
  const stored = await readStored(etcdUrl, name);
  stored.spec = { ...stored.spec, ...spec };
  stored.metadata.generation = (stored.metadata.generation ?? 1) + 1;
  const body = { key: base64(policyKey(name)), value: base64(JSON.stringify(stored)) };
  await postEtcd(etcdUrl, "/v3/kv/put", body);
}

/** Deletes a stored policy, as a peer apiserver serving `kubectl delete` would. */
export async function deletePolicy(etcdUrl: string, name: string): Promise<void> {
  const reply = (await postEtcd(etcdUrl, "/v3/kv/deleterange", {
    key: base64(policyKey(name)),
  })) as { deleted?: string };
  if (reply.deleted !== "1") throw new TerminalError(`policy ${name} was not in etcd`);
}
