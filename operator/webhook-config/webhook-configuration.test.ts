import type { WebhookConfigOptions } from "./webhook-configuration.js";
import {
  BREAK_GLASS_ANNOTATION,
  WEBHOOK_NAME,
  buildWebhookConfiguration,
  isBreakGlass,
  resolveWebhookUrl,
} from "./webhook-configuration.js";

const OPTIONS: WebhookConfigOptions = {
  name: "imageswap-webhook",
  namespace: "imageswap-system",
  serviceName: "imageswap",
  failurePolicy: "Fail",
  timeoutSeconds: 5,
  namespaceLabel: "k8s.twr.io/imageswap",
  podLabel: "k8s.twr.io/imageswap",
  mutateWorkloads: false,
};
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("buildWebhookConfiguration", () => {
  it("calls the Service at /mutate on port 443 and trusts the CA bundle", () => {
    const config = buildWebhookConfiguration(OPTIONS, CA, true);

    const webhook = config.webhooks![0]!;
    expect(webhook.name).toBe(WEBHOOK_NAME);
    expect(webhook.clientConfig).toEqual({
      service: { namespace: "imageswap-system", name: "imageswap", path: "/mutate", port: 443 },
      caBundle: Buffer.from(CA).toString("base64"),
    });
  });

  it("calls the URL instead when one is configured", () => {
    const url = "https://127.0.0.1:9443/mutate";

    const config = buildWebhookConfiguration({ ...OPTIONS, url }, CA, true);

    expect(config.webhooks![0]!.clientConfig).toEqual({
      url,
      caBundle: Buffer.from(CA).toString("base64"),
    });
  });

  it("intercepts pods and their ephemeral containers on create and update only", () => {
    const webhook = buildWebhookConfiguration(OPTIONS, CA, true).webhooks![0]!;

    expect(webhook.rules).toEqual([
      {
        operations: ["CREATE", "UPDATE"],
        apiGroups: [""],
        apiVersions: ["v1"],
        resources: ["pods", "pods/ephemeralcontainers"],
        scope: "Namespaced",
      },
    ]);
    expect(webhook).toMatchObject({
      failurePolicy: "Fail",
      timeoutSeconds: 5,
      reinvocationPolicy: "IfNeeded",
      sideEffects: "None",
      admissionReviewVersions: ["v1"],
    });
  });

  it("adds the workload kinds when workloads are mutated", () => {
    const webhook = buildWebhookConfiguration({ ...OPTIONS, mutateWorkloads: true }, CA, true)
      .webhooks![0]!;

    const resources = webhook.rules!.flatMap(rule => rule.resources);
    expect(resources).toEqual(
      expect.arrayContaining(["deployments", "cronjobs", "podtemplates", "pods"]),
    );
  });

  it.each([
    ["imageswap-system", ["imageswap-system", "kube-system"]],
    ["kube-system", ["kube-system"]],
  ])("selects enabled namespaces but never %s nor kube-system", (namespace, excluded) => {
    const webhook = buildWebhookConfiguration({ ...OPTIONS, namespace }, CA, true).webhooks![0]!;

    expect(webhook.namespaceSelector).toEqual({
      matchExpressions: [
        { key: "k8s.twr.io/imageswap", operator: "In", values: ["enabled"] },
        { key: "kubernetes.io/metadata.name", operator: "NotIn", values: excluded },
      ],
    });
  });

  it("leaves Pods labelled disabled out", () => {
    const webhook = buildWebhookConfiguration(
      { ...OPTIONS, podLabel: "example.com/swap" },
      CA,
      true,
    ).webhooks![0]!;

    expect(webhook.objectSelector).toEqual({
      matchExpressions: [{ key: "example.com/swap", operator: "NotIn", values: ["disabled"] }],
    });
  });

  it("applies no webhook at all while the glass is broken", () => {
    expect(buildWebhookConfiguration(OPTIONS, CA, false).webhooks).toEqual([]);
  });

  it("omits caBundle when there is none, so the apiserver uses its system roots", () => {
    expect(
      buildWebhookConfiguration(OPTIONS, undefined, true).webhooks![0]!.clientConfig,
    ).not.toHaveProperty("caBundle");
  });

  it("names the owner so that deleting it removes the configuration", () => {
    const config = buildWebhookConfiguration(
      { ...OPTIONS, owner: { name: "imageswap", uid: "u-1" } },
      CA,
      true,
    );

    expect(config.metadata!.ownerReferences).toEqual([
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        name: "imageswap",
        uid: "u-1",
      },
    ]);
  });
});

describe("isBreakGlass", () => {
  it.each([
    [{ [BREAK_GLASS_ANNOTATION]: "true" }, true],
    [{ [BREAK_GLASS_ANNOTATION]: "false" }, false],
    [{}, false],
  ])("reads %j as %s", (annotations, expected) => {
    expect(isBreakGlass({ metadata: { annotations } })).toBe(expected);
  });

  it("is off when the configuration does not exist", () => {
    expect(isBreakGlass(undefined)).toBe(false);
  });
});

describe("resolveWebhookUrl", () => {
  it.each([
    ["https://127.0.0.1:0/mutate", 40123, "https://127.0.0.1:40123/mutate"],
    ["https://127.0.0.1:9443/mutate", 40123, "https://127.0.0.1:9443/mutate"],
    ["https://127.0.0.1:0/mutate", undefined, "https://127.0.0.1:0/mutate"],
    ["", 40123, undefined],
    [undefined, 40123, undefined],
  ])("resolves %s with listening port %s to %s", (url, port, expected) => {
    expect(resolveWebhookUrl(url, port)).toBe(expected);
  });
});
