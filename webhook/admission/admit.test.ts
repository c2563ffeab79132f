import fc from "fast-check";
import type { AdmissionFixture } from "../../test/fixtures/admission/load.js";
import { loadReview } from "../../test/fixtures/admission/load.js";
import type { NamespaceView } from "../server/serving-state.js";
import type { PolicyMode, RuleKind, SwapDecision, SwapTable } from "../swap/types.js";
import type { AdmitOptions, AdmitState } from "./admit.js";
import { admit } from "./admit.js";
import { ORIGINAL_IMAGES_ANNOTATION } from "./patch.js";
import type { AdmissionRequest, JsonPatchOperation } from "./review.js";
import { decodeReview } from "./review.js";

// A fixed image -> target map standing in for the engine: swapping is tested in webhook/swap;
// here only the decisions the webhook acts on matter.
interface Entry {
  to?: string;
  mode?: PolicyMode;
  kind?: RuleKind;
  error?: string;
  throws?: boolean;
}
type Labels = Readonly<Record<string, string>> | undefined;

function mapTable(entries: Record<string, Entry>): SwapTable & { calls: Labels[] } {
  const calls: Labels[] = [];
  const swap = (image: string, labels?: Labels): SwapDecision => {
    calls.push(labels);
    const entry = entries[image];
    if (entry?.throws) throw new Error("engine bug");
    const unchanged = { input: image, output: image, changed: false, mode: "Enforce" as const };
    if (!entry) return unchanged;
    if (entry.error) return { ...unchanged, error: entry.error };
    const rule = { policy: "p", kind: entry.kind ?? "registry", index: 0, text: "rule" };
    const output = entry.to ?? image;
    return { input: image, output, changed: output !== image, mode: entry.mode ?? "Enforce", rule };
  };
  return { generation: 1, ruleCount: 1, policies: ["p"], conflicts: [], swap, calls };
}

const TABLE: Record<string, Entry> = {
  "nginx:1.25": { to: "harbor.example.com/dockerhub/library/nginx:1.25" },
  "ghcr.io/acme/shop-migrate:2.4.1": { to: "harbor.example.com/ghcr/acme/shop-migrate:2.4.1" },
  "quay.io/prometheus/nginx-exporter:v1.1.0": {
    to: "harbor.example.com/quay/nginx-exporter:v1.1.0",
    kind: "pattern",
  },
  "ghcr.io/acme/shop-static:2.4.1": { to: "harbor.example.com/ghcr/acme/shop-static:2.4.1" },
  "busybox:1.36": { to: "harbor.example.com/dockerhub/library/busybox:1.36" },
};

const OPTIONS: AdmitOptions = {
  podLabel: "k8s.twr.io/imageswap",
  namespaceLabel: "k8s.twr.io/imageswap",
  mutateWorkloads: false,
  protectedNamespaces: new Set(["imageswap-system", "kube-system"]),
  warnings: true,
};

function request(
  name: AdmissionFixture,
  edit?: (review: ReturnType<typeof loadReview>) => void,
): AdmissionRequest {
  const review = loadReview(name);
  edit?.(review);
  return decodeReview(review).request;
}

function standalone(
  entries: Record<string, Entry> = TABLE,
): AdmitState & { table: { calls: Labels[] } } {
  return { table: mapTable(entries), namespaces: null };
}

function viewOf(known: Record<string, Record<string, string>>): NamespaceView {
  return { labels: namespace => known[namespace] };
}

function imagePaths(patch: JsonPatchOperation[]): Record<string, unknown> {
  return Object.fromEntries(
    patch
      .filter(op => op.path.endsWith("image") || op.path.endsWith("reference"))
      .map(op => [op.path, op.value]),
  );
}

function annotationOf(patch: JsonPatchOperation[]): unknown {
  const op = patch.find(o => o.path.startsWith("/metadata/annotations"));
  const value =
    op?.path === "/metadata/annotations"
      ? (op.value as Record<string, string>)[ORIGINAL_IMAGES_ANNOTATION]
      : op?.value;
  return value === undefined ? undefined : JSON.parse(value as string);
}

describe("admit", () => {
  it("swaps every container, init container and image volume of a new Pod", () => {
    const outcome = admit(request("pod-create"), standalone(), OPTIONS);

    expect(outcome.result).toBe("patched");
    expect(imagePaths(outcome.patch)).toEqual({
      "/spec/initContainers/0/image": "harbor.example.com/ghcr/acme/shop-migrate:2.4.1",
      "/spec/containers/0/image": "harbor.example.com/dockerhub/library/nginx:1.25",
      "/spec/containers/1/image": "harbor.example.com/quay/nginx-exporter:v1.1.0",
      "/spec/volumes/0/image/reference": "harbor.example.com/ghcr/acme/shop-static:2.4.1",
    });
    expect(outcome.patch.every(op => op.op === "replace" || op.path.startsWith("/metadata"))).toBe(
      true,
    );
  });

  it("records the original images keyed by spec field and name", () => {
    const outcome = admit(request("pod-create"), standalone(), OPTIONS);

    expect(annotationOf(outcome.patch)).toEqual({
      containers: { web: "nginx:1.25", metrics: "quay.io/prometheus/nginx-exporter:v1.1.0" },
      initContainers: { migrate: "ghcr.io/acme/shop-migrate:2.4.1" },
      volumes: { static: "ghcr.io/acme/shop-static:2.4.1" },
    });
    expect(outcome.patch.at(-1)?.path).toBe(
      "/metadata/annotations/k8s.twr.io~1imageswap-original-images",
    );
  });

  it("names each swap in a warning", () => {
    const outcome = admit(request("pod-create"), standalone(), OPTIONS);

    expect(outcome.warnings).toContain(
      "nginx:1.25 -> harbor.example.com/dockerhub/library/nginx:1.25",
    );
    expect(outcome.warnings).toHaveLength(4);
  });

  it("reports the rule kind and container kind of each change", () => {
    const outcome = admit(request("pod-create"), standalone(), OPTIONS);

    const kinds = outcome.changes.map(c => [c.slot.containerKind, c.decision.rule?.kind]);
    expect(kinds).toContainEqual(["container", "pattern"]);
    expect(kinds).toContainEqual(["imageVolume", "registry"]);
  });

  it("omits swap warnings when they are turned off", () => {
    const outcome = admit(request("pod-create"), standalone(), { ...OPTIONS, warnings: false });

    expect(outcome.result).toBe("patched");
    expect(outcome.warnings).toEqual([]);
  });

  it("returns no patch when no image changes", () => {
    const outcome = admit(request("pod-create"), standalone({}), OPTIONS);

    expect(outcome).toMatchObject({ result: "unchanged", patch: [], warnings: [] });
  });

  it("returns no patch for a Pod without containers", () => {
    const req = request("pod-create", r => {
      r.request.object.spec = {};
    });

    expect(admit(req, standalone(), OPTIONS)).toMatchObject({ result: "unchanged", patch: [] });
  });

  it("serves a standalone request with every policy, whatever the namespace", () => {
    const state = standalone();

    admit(request("pod-create"), state, OPTIONS);

    expect(state.table.calls.every(labels => labels === undefined)).toBe(true);
  });

  it("selects policies with the labels of an enabled namespace", () => {
    const labels = { "k8s.twr.io/imageswap": "enabled", team: "shop" };
    const table = mapTable(TABLE);

    admit(request("pod-create"), { table, namespaces: viewOf({ shop: labels }) }, OPTIONS);

    expect(table.calls[0]).toEqual(labels);
  });

  it("skips a namespace whose label is not enabled", () => {
    const view = viewOf({ shop: { "k8s.twr.io/imageswap": "disabled" } });

    const outcome = admit(
      request("pod-create"),
      { table: mapTable(TABLE), namespaces: view },
      OPTIONS,
    );

    expect(outcome).toMatchObject({
      result: "skipped",
      skipReason: "namespace_not_enabled",
      patch: [],
    });
  });

  it("serves a namespace the view has not seen yet as enabled with no other labels", () => {
    const table = mapTable(TABLE);

    const outcome = admit(request("pod-create"), { table, namespaces: viewOf({}) }, OPTIONS);

    expect(outcome.result).toBe("patched");
    expect(table.calls[0]).toEqual({ "k8s.twr.io/imageswap": "enabled" });
  });

  it.each(["kube-system", "imageswap-system"])("never mutates the protected namespace %s", ns => {
    const req = request("pod-create", r => {
      r.request.namespace = ns;
    });

    expect(admit(req, standalone(), OPTIONS)).toMatchObject({
      result: "skipped",
      skipReason: "protected_namespace",
    });
  });

  it("skips a Pod labelled disabled, under a configurable key", () => {
    const req = request("pod-create", r => {
      r.request.object.metadata.labels["example.com/swap"] = "disabled";
    });

    expect(admit(req, standalone(), OPTIONS).result).toBe("patched");
    expect(admit(req, standalone(), { ...OPTIONS, podLabel: "example.com/swap" })).toMatchObject({
      result: "skipped",
      skipReason: "pod_opted_out",
    });
  });

  it.each(["DELETE", "CONNECT"])("returns early on %s", operation => {
    const req = request("pod-create", r => {
      r.request.operation = operation;
    });

    expect(admit(req, standalone(), OPTIONS)).toMatchObject({
      result: "skipped",
      skipReason: "delete",
      patch: [],
    });
  });

  it("allows an object that is not a Pod untouched", () => {
    expect(admit(request("configmap-create"), standalone(), OPTIONS)).toMatchObject({
      result: "skipped",
      skipReason: "not_a_pod",
    });
  });

  it("allows a Pod review without an object untouched", () => {
    const req = request("pod-create", r => {
      delete r.request.object;
    });

    expect(admit(req, standalone(), OPTIONS).skipReason).toBe("not_a_pod");
  });

  it("leaves workloads alone unless asked", () => {
    expect(admit(request("deployment-create"), standalone(), OPTIONS).skipReason).toBe("not_a_pod");
  });

  it("rewrites a Deployment's pod template when workloads are enabled", () => {
    const outcome = admit(request("deployment-create"), standalone(), {
      ...OPTIONS,
      mutateWorkloads: true,
    });

    expect(outcome.patch.map(op => op.path)).toEqual([
      "/spec/template/spec/containers/0/image",
      "/spec/template/metadata/annotations",
    ]);
  });

  it("rewrites a CronJob's nested job template", () => {
    const outcome = admit(request("cronjob-create"), standalone(), {
      ...OPTIONS,
      mutateWorkloads: true,
    });

    expect(outcome.patch[0]).toEqual({
      op: "replace",
      path: "/spec/jobTemplate/spec/template/spec/containers/0/image",
      value: "harbor.example.com/dockerhub/library/busybox:1.36",
    });
    expect(outcome.patch[1]?.path).toBe("/spec/jobTemplate/spec/template/metadata");
  });

  it("honours an opt-out label on the workload itself", () => {
    const req = request("deployment-create", r => {
      r.request.object.metadata.labels["k8s.twr.io/imageswap"] = "disabled";
    });

    expect(admit(req, standalone(), { ...OPTIONS, mutateWorkloads: true }).skipReason).toBe(
      "pod_opted_out",
    );
  });

  it("only swaps ephemeral containers added through the subresource, without an annotation", () => {
    const outcome = admit(request("pod-ephemeral-update"), standalone(), OPTIONS);

    expect(outcome.patch).toEqual([
      {
        op: "replace",
        path: "/spec/ephemeralContainers/1/image",
        value: "harbor.example.com/dockerhub/library/busybox:1.36",
      },
    ]);
  });

  it("keeps images on UPDATE that the old object already had", () => {
    const req = request("pod-create", r => {
      r.request.operation = "UPDATE";
      r.request.oldObject = structuredClone(r.request.object);
      r.request.object.metadata.labels.extra = "x";
    });

    expect(admit(req, standalone(), OPTIONS)).toMatchObject({ result: "unchanged", patch: [] });
  });

  it("swaps an image an UPDATE changes and keeps the annotation's earlier entries", () => {
    const req = request("pod-create", r => {
      r.request.operation = "UPDATE";
      const pod = r.request.object;
      pod.metadata.annotations[ORIGINAL_IMAGES_ANNOTATION] =
        '{"containers":{"metrics":"quay.io/x:1"}}';
      r.request.oldObject = structuredClone(pod);
      pod.spec.containers[0].image = "busybox:1.36";
    });

    const outcome = admit(req, standalone(), OPTIONS);

    expect(imagePaths(outcome.patch)).toEqual({
      "/spec/containers/0/image": "harbor.example.com/dockerhub/library/busybox:1.36",
    });
    expect(annotationOf(outcome.patch)).toEqual({
      containers: { metrics: "quay.io/x:1", web: "busybox:1.36" },
    });
  });

  it("reports an Audit decision in a warning and the annotation without patching the image", () => {
    const table = { "nginx:1.25": { to: "m.example/nginx:1.25", mode: "Audit" as const } };

    const outcome = admit(request("pod-create"), standalone(table), OPTIONS);

    expect(outcome.result).toBe("audited");
    expect(imagePaths(outcome.patch)).toEqual({});
    expect(annotationOf(outcome.patch)).toEqual({ containers: { web: "nginx:1.25" } });
    expect(outcome.warnings).toEqual(["audit: nginx:1.25 -> m.example/nginx:1.25 (not applied)"]);
  });

  it("leaves an invalid image untouched with a warning and still swaps the others", () => {
    const table = { ...TABLE, "nginx:1.25": { error: "invalid reference format" } };

    const outcome = admit(request("pod-create"), standalone(table), {
      ...OPTIONS,
      warnings: false,
    });

    expect(outcome.result).toBe("patched");
    expect(Object.keys(imagePaths(outcome.patch))).not.toContain("/spec/containers/0/image");
    expect(outcome.warnings).toEqual([
      'containers[web]: invalid image "nginx:1.25": invalid reference format; image left unchanged',
    ]);
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["not a string", 42],
  ])("warns about a container whose image is %s", (_case, image) => {
    const req = request("pod-create", r => {
      r.request.object.spec.containers[0].image = image;
    });

    const outcome = admit(req, standalone(), OPTIONS);

    expect(outcome.warnings).toContain("containers[web]: no image; image left unchanged");
    expect(Object.keys(imagePaths(outcome.patch))).not.toContain("/spec/containers/0/image");
  });

  it("points the patch at the right entry when a list holds something that is not an object", () => {
    const req = request("pod-create", r => {
      r.request.object.spec.containers.unshift(null, "junk");
    });

    const outcome = admit(req, standalone(), OPTIONS);

    expect(imagePaths(outcome.patch)).toMatchObject({
      "/spec/containers/2/image": "harbor.example.com/dockerhub/library/nginx:1.25",
      "/spec/containers/3/image": "harbor.example.com/quay/nginx-exporter:v1.1.0",
    });
  });

  it("never writes an output that is not a usable image", () => {
    const outcome = admit(
      request("pod-create"),
      standalone({ "nginx:1.25": { to: "bad image" } }),
      OPTIONS,
    );

    expect(outcome.patch).toEqual([]);
    expect(outcome.warnings[0]).toMatch(/unusable image/);
  });

  it("contains an engine exception to the image that caused it", () => {
    const table = { ...TABLE, "nginx:1.25": { throws: true } };

    const outcome = admit(request("pod-create"), standalone(table), OPTIONS);

    expect(outcome.result).toBe("patched");
    expect(outcome.warnings).toContain(
      'containers[web]: invalid image "nginx:1.25": engine bug; image left unchanged',
    );
  });

  it("skips with a warning before any table is published", () => {
    expect(admit(request("pod-create"), undefined, OPTIONS)).toMatchObject({
      result: "skipped",
      skipReason: "no_table",
      warnings: ["no swap table loaded yet; images left unchanged"],
    });
  });

  it("treats dryRun like any other request", () => {
    const dry = request("pod-create", r => {
      r.request.dryRun = true;
    });

    expect(admit(dry, standalone(), OPTIONS)).toEqual(
      admit(request("pod-create"), standalone(), OPTIONS),
    );
  });
});

// A minimal RFC 6902 applier for the two operations the webhook emits.
function applyPatch(doc: unknown, patch: JsonPatchOperation[]): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of patch) {
    const tokens = op.path
      .split("/")
      .slice(1)
      .map(t => t.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = tokens.pop()!;
    let node = out as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const t of tokens) node = node[t];
    if (op.op === "replace" && !(last in node)) throw new Error(`replace of missing ${op.path}`);
    node[last] = op.value;
  }
  return out;
}

describe("admit patch, applied", () => {
  const name = fc.stringMatching(/^[a-z~/][a-z0-9~/-]{0,10}$/);
  const image = fc.constantFrom("nginx:1.25", "busybox:1.36", "redis:7", "ghcr.io/acme/app:1");

  it("yields exactly the swapped images and the annotation, whatever the names", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, image), { selector: ([n]) => n, minLength: 1, maxLength: 6 }),
        containers => {
          const pod = {
            metadata: { labels: {} },
            spec: { containers: containers.map(([n, i]) => ({ name: n, image: i })) },
          };
          const review = {
            apiVersion: "admission.k8s.io/v1",
            kind: "AdmissionReview",
            request: {
              uid: "u",
              kind: { group: "", version: "v1", kind: "Pod" },
              operation: "CREATE",
              namespace: "a",
              object: pod,
            },
          };
          const table = { "nginx:1.25": { to: "m/nginx:1.25" }, "redis:7": { to: "m/redis:7" } };

          const outcome = admit(decodeReview(review).request, standalone(table), OPTIONS);
          const patched = applyPatch(pod, outcome.patch) as typeof pod & {
            metadata: { annotations?: Record<string, string> };
          };

          const expected = containers.map(([, i]) => table[i as keyof typeof table]?.to ?? i);
          expect(patched.spec.containers.map(c => c.image)).toEqual(expected);
          const swapped = containers.filter(([, i]) => i in table);
          const annotation = patched.metadata.annotations?.[ORIGINAL_IMAGES_ANNOTATION];
          expect(annotation === undefined ? {} : JSON.parse(annotation).containers).toEqual(
            Object.fromEntries(swapped),
          );
        },
      ),
    );
  });
});
