import type { NamespaceView } from "../server/serving-state.js";

/** Labels to select policies with, or `null` when the namespace is not enabled. */
export type NamespaceLabels = Readonly<Record<string, string>> | undefined | null;

/**
 * Resolves the labels a request's namespace is served with.
 * - No view (standalone mode): `undefined`, so every policy applies whatever its selector.
 * - A namespace the view knows: its labels, or `null` unless `label` is `enabled`.
 * - A namespace the view has not seen yet (the informer lags a freshly created namespace): the
 *   apiserver only called us because the webhook's namespaceSelector matched it, so it is
 *   enabled; its other labels are unknown, so only selector-less policies will match it.
 */
export function resolveNamespaceLabels(
  view: NamespaceView | null,
  namespace: string,
  label: string,
): NamespaceLabels {
  if (view === null) return undefined;
  const labels = view.labels(namespace);
  if (labels === undefined) return { [label]: "enabled" };
  return labels[label] === "enabled" ? labels : null;
}
