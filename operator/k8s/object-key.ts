import type { KubernetesObject } from "@kubernetes/client-node";

/**
 * Work-queue keys: `namespace/name` for namespaced objects, `name` for cluster-scoped ones, the
 * same convention client-go's cache uses, so a key read in a log finds the object with kubectl.
 */
export function objectKey(obj: KubernetesObject): string {
  const name = obj.metadata?.name ?? "";
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export interface KeyParts {
  namespace?: string;
  name: string;
}

export function splitKey(key: string): KeyParts {
  const slash = key.indexOf("/");
  if (slash < 0) return { name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
