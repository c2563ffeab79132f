import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { findRepoRoot } from "../cluster/bins.js";
import type { ClusterAccess } from "../cluster/cluster-access.js";

/**
 * The operator's ServiceAccount and RBAC exactly as `kubectl apply -k config/base` creates them,
 * moved to a test namespace: only names change (namespace, the cluster-scoped ClusterRole and
 * binding, and the webhook configuration the ClusterRole names), never a rule's resources or
 * verbs. Resolves to a kubeconfig holding a fresh TokenRequest token of that ServiceAccount.
 */

export interface InstalledRbac {
  /** Kubeconfig file with the ServiceAccount's token. */
  kubeconfigPath: string;
  token: string;
  /** Names to configure the operator with: its RBAC grants these and no other. */
  clusterRoleName: string;
  webhookConfigName: string;
  /** Deletes the cluster-scoped objects (the namespace goes with its own deletion). */
  remove(): Promise<void>;
}

const RBAC_KINDS = ["ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"];
const BASE_NAMESPACE = "imageswap-system";

type Manifest = {
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
};

function rename(doc: Manifest, names: { namespace: string; clusterRole: string; config: string }) {
  // Text-level renaming keeps every other field as the base wrote it.
  const text = JSON.stringify(doc)
    .replaceAll(`"namespace":"${BASE_NAMESPACE}"`, `"namespace":"${names.namespace}"`)
    .replaceAll('"imageswap-webhook"', `"${names.config}"`);
  const out = JSON.parse(text) as Manifest & { roleRef?: { kind: string; name: string } };
  if (doc.kind === "ClusterRole" || doc.kind === "ClusterRoleBinding") {
    out.metadata.name = names.clusterRole;
  }
  if (out.roleRef?.kind === "ClusterRole") out.roleRef.name = names.clusterRole;
  if (doc.kind === "ClusterRole") {
    // The rule letting the operator read its own ClusterRole (the webhook configuration's owner).
    type Rule = { resources: string[]; resourceNames?: string[] };
    const rules = (out as unknown as { rules: Rule[] }).rules;
    for (const rule of rules)
      if (rule.resources.includes("clusterroles")) rule.resourceNames = [names.clusterRole];
  }
  return out;
}

function tokenKubeconfig(cluster: ClusterAccess, token: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "local",
        cluster: { server: cluster.server, "certificate-authority": cluster.caFile },
      },
    ],
    users: [{ name: "imageswap", user: { token } }],
    contexts: [{ name: "imageswap", context: { cluster: "local", user: "imageswap" } }],
    "current-context": "imageswap",
  });
}

/** Applies the base's RBAC into `namespace` and issues a one-hour token. */
export async function installKustomizeRbac(
  cluster: ClusterAccess,
  namespace: string,
  dir: string,
): Promise<InstalledRbac> {
  const suffix = namespace.slice(-8);
  const names = {
    namespace,
    clusterRole: `imageswap-${suffix}`,
    config: `imageswap-webhook-${suffix}`,
  };
  const rendered = await cluster.kubectl(["kustomize", join(findRepoRoot(), "config", "base")]);
  const docs = parseAllDocuments(rendered)
    .map(d => d.toJS() as Manifest)
    .filter(d => RBAC_KINDS.includes(d.kind))
    .map(d => rename(d, names));
  await cluster.kubectl(["apply", "-f", "-"], { input: docs.map(d => stringify(d)).join("---\n") });

  const token = (
    await cluster.kubectl(["create", "token", "imageswap", "-n", namespace, "--duration=1h"])
  ).trim();
  const kubeconfigPath = join(dir, "imageswap-sa.kubeconfig");
  writeFileSync(kubeconfigPath, tokenKubeconfig(cluster, token), { mode: 0o600 });
  return {
    kubeconfigPath,
    token,
    clusterRoleName: names.clusterRole,
    webhookConfigName: names.config,
    remove: async () => {
      const what = [`clusterrole/${names.clusterRole}`, `clusterrolebinding/${names.clusterRole}`];
      await cluster.kubectl(["delete", "--ignore-not-found", ...what]);
    },
  };
}
