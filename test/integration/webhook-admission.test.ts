import { loadReview } from "../fixtures/admission/load.js";
import type { AdmissionFixture } from "../fixtures/admission/load.js";
import type { Harness } from "../fixtures/admission/harness.js";
import {
  MIRROR_POLICY,
  metricValue,
  patchOf,
  post,
  startHarness,
  waitForLine,
} from "../fixtures/admission/harness.js";

const ANNOTATION = "k8s.twr.io/imageswap-original-images";

type Review = ReturnType<typeof loadReview>;

function review(name: AdmissionFixture, edit?: (r: Review) => void): Review {
  const r = loadReview(name);
  edit?.(r);
  return r;
}

function imageOps(patch: Array<{ path: string; value: unknown }>): Record<string, unknown> {
  return Object.fromEntries(
    patch.filter(op => !op.path.includes("/metadata")).map(op => [op.path, op.value]),
  );
}

describe("webhook admission over HTTPS", () => {
  let h: Harness;
  const send = (body: unknown, path?: string) =>
    post(h.server.port, body, { ca: h.certificate.ca, path });

  beforeAll(async () => {
    h = await startHarness();
    h.publish({ mirror: MIRROR_POLICY }, 1);
  });

  afterAll(async () => {
    await h.server.close();
  });

  it("patches every image of a new Pod and echoes the uid and version", async () => {
    const res = await send(review("pod-create"));

    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "0b6a3c4e-7d1f-4f0a-9c57-2f0c1d0e9a01",
        allowed: true,
        patchType: "JSONPatch",
      },
    });
    expect(imageOps(patchOf(res))).toEqual({
      "/spec/initContainers/0/image": "harbor.example.com/ghcr/acme/shop-migrate:2.4.1",
      "/spec/containers/0/image": "harbor.example.com/dockerhub/library/nginx:1.25",
      "/spec/containers/1/image": "harbor.example.com/quay/prometheus/nginx-exporter:v1.1.0",
      "/spec/volumes/0/image/reference": "harbor.example.com/ghcr/acme/shop-static:2.4.1",
    });
  });

  it("adds the original-images annotation beside the existing annotations", async () => {
    const patch = patchOf(await send(review("pod-create")));

    const op = patch.find(
      o => o.path === "/metadata/annotations/k8s.twr.io~1imageswap-original-images",
    );
    expect(op?.op).toBe("add");
    expect(JSON.parse(op?.value as string)).toEqual({
      initContainers: { migrate: "ghcr.io/acme/shop-migrate:2.4.1" },
      containers: { web: "nginx:1.25", metrics: "quay.io/prometheus/nginx-exporter:v1.1.0" },
      volumes: { static: "ghcr.io/acme/shop-static:2.4.1" },
    });
  });

  it("names each swap in an admission warning", async () => {
    const res = await send(review("pod-create"));

    expect(res.json.response.warnings).toContain(
      "nginx:1.25 -> harbor.example.com/dockerhub/library/nginx:1.25",
    );
    expect(res.json.response.warnings).toHaveLength(4);
  });

  it("answers on / as on /mutate, for clients of the predecessor", async () => {
    const [root, mutate] = await Promise.all([
      send(review("pod-create"), "/"),
      send(review("pod-create")),
    ]);

    expect(root.status).toBe(200);
    expect(root.json).toEqual(mutate.json);
  });

  it("answers a v1beta1 review in v1beta1", async () => {
    const res = await send(review("pod-create", r => (r.apiVersion = "admission.k8s.io/v1beta1")));

    expect(res.json.apiVersion).toBe("admission.k8s.io/v1beta1");
    expect(patchOf(res).length).toBeGreaterThan(0);
  });

  it("treats a dryRun request exactly like any other", async () => {
    const dry = await send(review("pod-create", r => (r.request.dryRun = true)));

    expect(dry.json).toEqual((await send(review("pod-create"))).json);
  });

  it("returns no patch when nothing would change", async () => {
    const res = await send(
      review("pod-create", r => {
        const spec = r.request.object.spec;
        spec.containers = [{ name: "pause", image: "registry.k8s.io/pause:3.9" }];
        spec.initContainers = [];
        spec.volumes = [];
      }),
    );

    expect(res.json.response).toEqual({
      uid: "0b6a3c4e-7d1f-4f0a-9c57-2f0c1d0e9a01",
      allowed: true,
    });
  });

  it("skips a Pod labelled k8s.twr.io/imageswap: disabled", async () => {
    const before = await metricValue(h.metrics, "imageswap_pods_skipped_total", {
      reason: "pod_opted_out",
    });

    const res = await send(
      review(
        "pod-create",
        r => (r.request.object.metadata.labels["k8s.twr.io/imageswap"] = "disabled"),
      ),
    );

    expect(res.json.response).toEqual({ uid: expect.any(String), allowed: true });
    expect(
      await metricValue(h.metrics, "imageswap_pods_skipped_total", { reason: "pod_opted_out" }),
    ).toBe(before + 1);
  });

  it.each(["kube-system", "imageswap-system"])(
    "never mutates in the protected namespace %s",
    async ns => {
      const res = await send(
        review("pod-create", r => {
          r.request.namespace = ns;
          r.request.object.metadata.namespace = ns;
        }),
      );

      expect(res.json.response.patch).toBeUndefined();
    },
  );

  it.each(["DELETE", "CONNECT"])("returns early on %s", async operation => {
    const res = await send(
      review("pod-create", r => {
        r.request.operation = operation;
        r.request.oldObject = r.request.object;
        r.request.object = null;
      }),
    );

    expect(res.json.response).toEqual({ uid: expect.any(String), allowed: true });
  });

  it("keeps the images of an UPDATE that the Pod already had", async () => {
    const res = await send(
      review("pod-create", r => {
        r.request.operation = "UPDATE";
        r.request.oldObject = structuredClone(r.request.object);
        r.request.object.metadata.labels.rollout = "2";
      }),
    );

    expect(res.json.response.patch).toBeUndefined();
  });

  it("leaves already-swapped images alone on UPDATE and swaps a newly changed one", async () => {
    const res = await send(
      review("pod-create", r => {
        r.request.operation = "UPDATE";
        const pod = r.request.object;
        pod.spec.containers[0].image = "harbor.example.com/dockerhub/library/nginx:1.25";
        r.request.oldObject = structuredClone(pod);
        pod.spec.containers[1].image = "quay.io/prometheus/nginx-exporter:v1.2.0";
      }),
    );

    expect(imageOps(patchOf(res))).toEqual({
      "/spec/containers/1/image": "harbor.example.com/quay/prometheus/nginx-exporter:v1.2.0",
    });
  });

  it("swaps only the new ephemeral container of a pods/ephemeralcontainers update", async () => {
    const res = await send(review("pod-ephemeral-update"));

    expect(patchOf(res)).toEqual([
      {
        op: "replace",
        path: "/spec/ephemeralContainers/1/image",
        value: "harbor.example.com/dockerhub/library/busybox:1.36",
      },
    ]);
  });

  it("leaves workloads alone by default", async () => {
    const res = await send(review("deployment-create"));

    expect(res.json.response.patch).toBeUndefined();
  });

  it("counts requests by operation and result, and observes their latency", async () => {
    const labels = { operation: "CREATE", result: "patched" };
    const before = await metricValue(h.metrics, "imageswap_admission_requests_total", labels);
    const swapped = await metricValue(h.metrics, "imageswap_images_swapped_total", {
      container_kind: "imageVolume",
      rule_kind: "registry",
    });

    await send(review("pod-create"));

    expect(await metricValue(h.metrics, "imageswap_admission_requests_total", labels)).toBe(
      before + 1,
    );
    expect(
      await metricValue(h.metrics, "imageswap_images_swapped_total", {
        container_kind: "imageVolume",
        rule_kind: "registry",
      }),
    ).toBe(swapped + 1);
    const histogram = await h.metrics.admissionDuration.get();
    const count = histogram.values.find(
      v => v.metricName === "imageswap_admission_duration_seconds_count",
    );
    expect(count?.value).toBeGreaterThan(0);
  });

  it("logs each patch with constant message and fields, no object dump", async () => {
    h.lines.length = 0;
    await send(review("pod-create"));

    const line = await waitForLine(h.lines, l => l.message === "admission patched");
    expect(line).toMatchObject({
      component: "webhook",
      uid: "0b6a3c4e-7d1f-4f0a-9c57-2f0c1d0e9a01",
      kind: "Pod",
      namespace: "shop",
      ops: 5,
    });
    expect(line).not.toHaveProperty("object");
  });
});

describe("webhook admission with namespaces from the operator", () => {
  let h: Harness;
  const send = (body: unknown) => post(h.server.port, body, { ca: h.certificate.ca });
  const namespaces = {
    shop: { "k8s.twr.io/imageswap": "enabled", team: "shop" },
    other: { "k8s.twr.io/imageswap": "enabled", team: "other" },
    off: { "k8s.twr.io/imageswap": "disabled" },
  } as Record<string, Record<string, string>>;
  const inNamespace = (ns: string) =>
    review("pod-create", r => {
      r.request.namespace = ns;
      r.request.object.metadata.namespace = ns;
    });

  beforeAll(async () => {
    h = await startHarness();
    const shopOnly = {
      namespaceSelector: { matchLabels: { team: "shop" } },
      registries: [{ source: "docker.io/library", target: "shop.example.com/hub/library" }],
    };
    h.publish({ mirror: MIRROR_POLICY, "shop-only": { ...shopOnly, priority: 10 } }, 1, {
      labels: ns => namespaces[ns],
    });
  });

  afterAll(async () => {
    await h.server.close();
  });

  it("applies the policies whose namespaceSelector matches the namespace's labels", async () => {
    const shop = imageOps(patchOf(await send(inNamespace("shop"))));
    const other = imageOps(patchOf(await send(inNamespace("other"))));

    expect(shop["/spec/containers/0/image"]).toBe("shop.example.com/hub/library/nginx:1.25");
    expect(other["/spec/containers/0/image"]).toBe(
      "harbor.example.com/dockerhub/library/nginx:1.25",
    );
  });

  it("skips a namespace whose label is not enabled", async () => {
    const res = await send(inNamespace("off"));

    expect(res.json.response.patch).toBeUndefined();
    expect(
      await metricValue(h.metrics, "imageswap_pods_skipped_total", {
        reason: "namespace_not_enabled",
      }),
    ).toBe(1);
  });

  it("serves a namespace the cache has not seen yet, with selector-free policies only", async () => {
    const res = await send(inNamespace("brand-new"));

    expect(imageOps(patchOf(res))["/spec/containers/0/image"]).toBe(
      "harbor.example.com/dockerhub/library/nginx:1.25",
    );
  });
});

describe("webhook admission options", () => {
  let h: Harness;
  const send = (body: unknown) => post(h.server.port, body, { ca: h.certificate.ca });

  beforeAll(async () => {
    h = await startHarness({
      warnings: false,
      mutateWorkloads: true,
      podLabel: "example.com/swap",
    });
    h.publish(
      {
        mirror: MIRROR_POLICY,
        audit: {
          mode: "Audit",
          priority: 5,
          exact: [{ source: "busybox:1.36", target: "audit.example.com/busybox:1.36" }],
        },
      },
      1,
    );
  });

  afterAll(async () => {
    await h.server.close();
  });

  it("sends no swap warnings when warnings are off", async () => {
    const res = await send(review("pod-create"));

    expect(patchOf(res).length).toBe(5);
    expect(res.json.response.warnings).toBeUndefined();
  });

  it("uses the configured Pod label for the opt-out", async () => {
    const res = await send(
      review(
        "pod-create",
        r => (r.request.object.metadata.labels["example.com/swap"] = "disabled"),
      ),
    );

    expect(res.json.response.patch).toBeUndefined();
  });

  it("rewrites a Deployment's pod template when workloads are on", async () => {
    const res = await send(review("deployment-create"));

    expect(imageOps(patchOf(res))).toEqual({
      "/spec/template/spec/containers/0/image": "harbor.example.com/dockerhub/library/nginx:1.25",
    });
    expect(patchOf(res)[1]?.path).toBe("/spec/template/metadata/annotations");
  });

  it("records an Audit decision in the annotation without patching the image", async () => {
    const res = await send(
      review("pod-create", r => {
        r.request.object.spec = { containers: [{ name: "tool", image: "busybox:1.36" }] };
      }),
    );

    const patch = patchOf(res);
    expect(imageOps(patch)).toEqual({});
    expect(JSON.parse(patch[0]?.value as string)).toEqual({ containers: { tool: "busybox:1.36" } });
    expect(patch[0]?.path).toBe(`/metadata/annotations/${ANNOTATION.replace("/", "~1")}`);
    expect(
      await metricValue(h.metrics, "imageswap_admission_requests_total", {
        operation: "CREATE",
        result: "audited",
      }),
    ).toBe(1);
  });
});
