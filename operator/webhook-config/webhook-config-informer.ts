import type { V1MutatingWebhookConfiguration } from "@kubernetes/client-node";
import { Informer } from "../k8s/informer.js";
import type { InformerDeps } from "../k8s/resources.js";

/**
 * The one MutatingWebhookConfiguration by name. Every replica may run it (it is small); the
 * leader's reconcilers read it for drift, the break-glass switch and the caBundle in force. The
 * name field selector is what lets RBAC limit the watch to this object.
 */
export function createWebhookConfigInformer(
  deps: InformerDeps,
  name: string,
): Informer<V1MutatingWebhookConfiguration> {
  const fieldSelector = `metadata.name=${name}`;
  return new Informer<V1MutatingWebhookConfiguration>({
    kubeConfig: deps.clients.kubeConfig,
    log: deps.log,
    metrics: deps.metrics,
    backoff: deps.backoff,
    sleep: deps.sleep,
    resource: "mutatingwebhookconfigurations",
    path: "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    fieldSelector,
    list: () => deps.clients.admission.listMutatingWebhookConfiguration({ fieldSelector }),
  });
}
