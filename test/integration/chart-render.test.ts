import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument, isMap, type Node } from "yaml";
import { loadConfig, OPTIONS } from "../../operator/config.js";
import {
  CHART_DIR,
  RELEASE_NAMESPACE,
  findOne,
  helm,
  literalEnv,
  operatorContainer,
  renderChart,
  type Manifest,
} from "./chart-support.js";

// Rendering checks of the chart: the values that matter reach the container as the operator's
// own environment variables, and the objects have the shape the issue asks for.

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

function rules(manifests: Manifest[], kind: "ClusterRole" | "Role"): PolicyRule[] {
  return (findOne(manifests, kind) as unknown as { rules: PolicyRule[] }).rules;
}

/** Verbs granted on `resource` (optionally limited to `name`) across the rules. */
function verbsOn(list: PolicyRule[], resource: string, name?: string): string[] {
  const verbs = list
    .filter(r => r.resources.includes(resource))
    .filter(
      r => r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name)),
    )
    .flatMap(r => r.verbs);
  return [...new Set(verbs)].sort();
}

describe("imageswap chart", () => {
  let defaults: Manifest[];

  beforeAll(async () => {
    defaults = await renderChart();
  });

  it("passes helm lint in strict mode", async () => {
    const out = await helm(["lint", "--strict", CHART_DIR]);

    expect(out).toContain("1 chart(s) linted, 0 chart(s) failed");
  });

  it("renders the objects of an install and no webhook configuration", () => {
    const kinds = defaults.map(m => `${m.kind}/${m.metadata.name}`).sort();

    expect(kinds).toEqual(
      [
        "ClusterRole/imageswap",
        "ClusterRoleBinding/imageswap",
        "CustomResourceDefinition/imageswappolicies.k8s.twr.io",
        "Deployment/imageswap",
        "PodDisruptionBudget/imageswap",
        "Role/imageswap",
        "RoleBinding/imageswap",
        "Service/imageswap",
        "ServiceAccount/imageswap",
      ].sort(),
    );
    for (const m of defaults.filter(m => m.kind !== "CustomResourceDefinition")) {
      if (!m.kind.startsWith("Cluster")) expect(m.metadata.namespace).toBe(RELEASE_NAMESPACE);
    }
  });

  it("runs two spread replicas with https probes on /readyz and /healthz", () => {
    const deployment = findOne(defaults, "Deployment") as unknown as {
      spec: { replicas: number; template: { spec: Record<string, unknown> } };
    };
    const container = operatorContainer(defaults);
    const spread = deployment.spec.template.spec.topologySpreadConstraints as Array<
      Record<string, unknown>
    >;

    expect(deployment.spec.replicas).toBe(2);
    expect(spread[0]).toMatchObject({ topologyKey: "kubernetes.io/hostname", maxSkew: 1 });
    expect(container.readinessProbe.httpGet).toEqual({
      path: "/readyz",
      port: "https",
      scheme: "HTTPS",
    });
    expect(container.livenessProbe.httpGet).toEqual({
      path: "/healthz",
      port: "https",
      scheme: "HTTPS",
    });
    expect(container.ports).toContainEqual(
      expect.objectContaining({ name: "https", containerPort: 8443 }),
    );
    expect(container.args).toEqual(["operator"]);
  });

  it("runs as non-root on a read-only root filesystem with requests and limits", () => {
    const deployment = findOne(defaults, "Deployment") as unknown as {
      spec: { template: { spec: { securityContext: Record<string, unknown> } } };
    };
    const container = operatorContainer(defaults);

    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(Object.keys(container.resources.requests ?? {}).sort()).toEqual(["cpu", "memory"]);
    expect(Object.keys(container.resources.limits ?? {}).sort()).toEqual(["cpu", "memory"]);
  });

  it("sets only environment variables the operator reads, with values it accepts", () => {
    const container = operatorContainer(defaults);
    const known = new Set<string>(Object.values(OPTIONS).map(o => o.env));
    const env = {
      ...literalEnv(container),
      IMAGESWAP_NAMESPACE: "ns",
      IMAGESWAP_IDENTITY: "pod-0",
    };

    const unknown = container.env.map(e => e.name).filter(name => !known.has(name));
    const { config } = loadConfig([], env);

    expect(unknown).toEqual([]);
    expect(config).toMatchObject({ failurePolicy: "Fail", timeoutSeconds: 5, port: 8443 });
  });

  it.each([
    [{ webhook: { failurePolicy: "Ignore" } }, "IMAGESWAP_FAILURE_POLICY", "Ignore"],
    [{ webhook: { timeoutSeconds: 3 } }, "IMAGESWAP_TIMEOUT_SECONDS", "3"],
    [{ webhook: { warnings: false } }, "IMAGESWAP_WARNINGS", "false"],
    [{ webhook: { configName: "mirror-hook" } }, "IMAGESWAP_WEBHOOK_CONFIG_NAME", "mirror-hook"],
    [{ namespaceLabel: "example.com/swap" }, "IMAGESWAP_NAMESPACE_LABEL", "example.com/swap"],
    [{ certificate: { validityDays: 90 } }, "IMAGESWAP_CERT_VALIDITY_DAYS", "90"],
    [{ certificate: { renewBeforeDays: 30 } }, "IMAGESWAP_CERT_RENEW_BEFORE_DAYS", "30"],
    [
      { certificate: { extraSans: ["a.example", "10.0.0.9"] } },
      "IMAGESWAP_EXTRA_SANS",
      "a.example,10.0.0.9",
    ],
    [{ certificate: { rotationGraceSec: 5 } }, "IMAGESWAP_CERT_ROTATION_GRACE_SEC", "5"],
    [{ logLevel: "debug" }, "IMAGESWAP_LOG_LEVEL", "debug"],
    [
      { webhook: { url: "https://127.0.0.1:9443/mutate" } },
      "IMAGESWAP_WEBHOOK_URL",
      "https://127.0.0.1:9443/mutate",
    ],
  ])("maps %j to %s=%s", async (values, name, expected) => {
    const env = literalEnv(operatorContainer(await renderChart(values)));

    expect(env[name]).toBe(expected);
  });

  it("names its own ClusterRole as the owner the webhook configuration hangs on", () => {
    const env = literalEnv(operatorContainer(defaults));

    expect(env.IMAGESWAP_WEBHOOK_CONFIG_OWNER).toBe(findOne(defaults, "ClusterRole").metadata.name);
  });

  it("grants cluster-wide only reads, status writes and its own webhook configuration", () => {
    const cluster = rules(defaults, "ClusterRole");
    const wildcards = cluster.filter(r =>
      [...r.verbs, ...r.resources, ...r.apiGroups].includes("*"),
    );

    expect(wildcards).toEqual([]);
    expect(verbsOn(cluster, "imageswappolicies")).toEqual(["get", "list", "watch"]);
    expect(verbsOn(cluster, "imageswappolicies/status")).toEqual(["get", "patch", "update"]);
    expect(verbsOn(cluster, "namespaces")).toEqual(["list", "watch"]);
    expect(verbsOn(cluster, "mutatingwebhookconfigurations")).toEqual(["create"]);
    expect(verbsOn(cluster, "mutatingwebhookconfigurations", "imageswap-webhook")).toEqual([
      "create",
      "get",
      "list",
      "patch",
      "update",
      "watch",
    ]);
    expect(verbsOn(cluster, "secrets")).toEqual([]);
    expect(verbsOn(cluster, "events")).toEqual(["create", "patch"]);
  });

  it("limits the namespaced Role to its Secret and Lease", () => {
    const role = rules(defaults, "Role");

    expect(
      role
        .map(r => r.resources)
        .flat()
        .sort(),
    ).toEqual(["leases", "leases", "secrets", "secrets"]);
    expect(verbsOn(role, "secrets", "imageswap-tls")).toEqual([
      "create",
      "get",
      "list",
      "patch",
      "update",
      "watch",
    ]);
    expect(verbsOn(role, "secrets", "someone-elses")).toEqual(["create"]);
    expect(verbsOn(role, "leases", "imageswap-leader")).toEqual([
      "create",
      "get",
      "list",
      "patch",
      "update",
      "watch",
    ]);
  });

  it("only reads a user-managed certificate Secret", async () => {
    const role = rules(await renderChart({ certificate: { manage: false } }), "Role");

    expect(verbsOn(role, "secrets", "imageswap-tls")).toEqual(["get", "list", "watch"]);
  });

  it("creates the policies listed in values", async () => {
    const spec = { registries: [{ source: "docker.io", target: "harbor.example.com/hub" }] };

    const manifests = await renderChart({ policies: [{ name: "hub", spec }] });

    expect(findOne(manifests, "ImageSwapPolicy", "hub")).toMatchObject({
      apiVersion: "k8s.twr.io/v1alpha1",
      spec,
    });
  });

  it("adds an HPA instead of fixed replicas, and a ServiceMonitor, when enabled", async () => {
    const manifests = await renderChart({
      autoscaling: { enabled: true, minReplicas: 3 },
      serviceMonitor: { enabled: true },
    });
    const deployment = findOne(manifests, "Deployment") as unknown as {
      spec: Record<string, unknown>;
    };

    expect(findOne(manifests, "HorizontalPodAutoscaler").spec).toMatchObject({ minReplicas: 3 });
    expect(deployment.spec.replicas).toBeUndefined();
    expect(findOne(manifests, "ServiceMonitor").spec).toMatchObject({
      endpoints: [expect.objectContaining({ port: "metrics", path: "/metrics" })],
    });
  });

  it("refuses values the operator would refuse", async () => {
    await expect(renderChart({ webhook: { failurePolicy: "Sometimes" } })).rejects.toThrow(
      /failurePolicy/,
    );
    await expect(renderChart({ webhook: { timeoutSeconds: 31 } })).rejects.toThrow(
      /timeoutSeconds/,
    );
    await expect(renderChart({ logLevel: "verbose" })).rejects.toThrow(/logLevel/);
  });

  it("comments every value in values.yaml", () => {
    const doc = parseDocument(readFileSync(join(CHART_DIR, "values.yaml"), "utf8"));

    expect(uncommentedKeys(doc.contents, "", false)).toEqual([]);
  });
});

/**
 * Paths of keys with no comment on themselves or any enclosing key. The yaml parser hangs the
 * comment above a map's first key on the map itself, so that counts for the first key.
 */
function uncommentedKeys(node: Node | null, path: string, covered: boolean): string[] {
  if (!isMap(node)) return [];
  return node.items.flatMap((pair, index) => {
    const key = String((pair.key as { value?: unknown }).value);
    const first = index === 0 && Boolean(node.commentBefore);
    const here = covered || first || Boolean((pair.key as Node).commentBefore);
    const child = path ? `${path}.${key}` : key;
    const value = pair.value as Node | null;
    if (isMap(value) && value.items.length > 0) return uncommentedKeys(value, child, here);
    return here ? [] : [child];
  });
}
