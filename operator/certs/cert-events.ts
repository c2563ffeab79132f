import type { CoreV1Api, V1Secret } from "@kubernetes/client-node";
import { errorFields, type Logger } from "../../webhook/telemetry/logger.js";
import { callApi } from "../k8s/api-errors.js";
import type { CertPlan } from "./cert-plan.js";

const COMPONENT = "imageswap-operator";

/** Event reason and message per step that writes the Secret, for `kubectl describe secret`. */
export function describeStep(plan: CertPlan, notAfter: Date): { reason: string; message: string } {
  switch (plan.action) {
    case "create":
      return {
        reason: "CertificateIssued",
        message: `issued a new CA and serving certificate (${plan.reason}), valid until ${notAfter.toISOString()}`,
      };
    case "begin-rotation":
      return {
        reason: "CertificateRotationStarted",
        message: `rotation started (${plan.reason}): new CA added to ca.crt, old certificate still served`,
      };
    case "mark-trusted":
      return { reason: "CertificateTrusted", message: "the webhook's caBundle trusts the new CA" };
    case "promote":
      return {
        reason: "CertificatePromoted",
        message:
          "replicas now serve the new certificate; the old CA stays trusted for the grace period",
      };
    case "finish":
      return {
        reason: "CertificateRotated",
        message: `rotation finished: old CA removed, certificate valid until ${notAfter.toISOString()}`,
      };
    case "wait":
      return { reason: "CertificateUnchanged", message: plan.reason };
  }
}

/**
 * Records a Normal Event on the Secret. An Event is a courtesy: failing to write one is logged
 * and never fails the reconcile that already changed the Secret.
 */
export async function recordSecretEvent(
  core: CoreV1Api,
  secret: V1Secret,
  step: { reason: string; message: string },
  options: { now: Date; log: Logger; instance?: string },
): Promise<void> {
  const { name, namespace, uid, resourceVersion } = secret.metadata ?? {};
  const time = options.now;
  const body = {
    metadata: { generateName: `${name}.`, namespace },
    involvedObject: { apiVersion: "v1", kind: "Secret", name, namespace, uid, resourceVersion },
    type: "Normal",
    reason: step.reason,
    message: step.message,
    source: { component: COMPONENT },
    reportingComponent: COMPONENT,
    reportingInstance: options.instance ?? COMPONENT,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
  try {
    await callApi("create event", () =>
      core.createNamespacedEvent({ namespace: namespace ?? "", body }),
    );
  } catch (err) {
    options.log.warn("event not recorded", {
      reason: step.reason,
      name,
      namespace,
      err: errorFields(err),
    });
  }
}
