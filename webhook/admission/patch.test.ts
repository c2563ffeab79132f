import type { ImageSlot } from "./image-slots.js";
import type { ImageChange } from "./patch.js";
import { buildPatch, mergeOriginalImages, ORIGINAL_IMAGES_ANNOTATION } from "./patch.js";
import type { PodTarget } from "./pod-target.js";

const ANNOTATION_PATH = "/metadata/annotations/k8s.twr.io~1imageswap-original-images";

function podTarget(metadata?: Record<string, unknown>): PodTarget {
  return { metadataPath: ["metadata"], specPath: ["spec"], metadata, spec: {}, ownerLabels: {} };
}

function change(
  name: string,
  from: string,
  to: string,
  at = { applied: true, index: 0 },
): ImageChange {
  const { applied, index } = at;
  const slot: ImageSlot = {
    field: "containers",
    containerKind: "container",
    name,
    path: ["containers", String(index), "image"],
    image: from,
  };
  return { slot, from, to, applied };
}

describe("buildPatch", () => {
  it("returns no operations when nothing changed", () => {
    expect(buildPatch(podTarget({ annotations: {} }), [], true)).toEqual([]);
  });

  it("replaces each changed image and adds the annotation to existing annotations", () => {
    const changes = [change("web", "nginx:1.25", "m.example/nginx:1.25")];

    const ops = buildPatch(podTarget({ annotations: { other: "x" } }), changes, true);

    expect(ops).toEqual([
      { op: "replace", path: "/spec/containers/0/image", value: "m.example/nginx:1.25" },
      { op: "add", path: ANNOTATION_PATH, value: '{"containers":{"web":"nginx:1.25"}}' },
    ]);
  });

  it("creates the annotations map when the pod has none", () => {
    const ops = buildPatch(podTarget({ name: "p" }), [change("web", "a", "b")], true);

    expect(ops[1]).toEqual({
      op: "add",
      path: "/metadata/annotations",
      value: { [ORIGINAL_IMAGES_ANNOTATION]: '{"containers":{"web":"a"}}' },
    });
  });

  it("creates metadata when the object has none", () => {
    const ops = buildPatch(podTarget(undefined), [change("web", "a", "b")], true);

    expect(ops[1]).toEqual({
      op: "add",
      path: "/metadata",
      value: { annotations: { [ORIGINAL_IMAGES_ANNOTATION]: '{"containers":{"web":"a"}}' } },
    });
  });

  it("merges into an annotation an earlier admission wrote", () => {
    const existing = '{"containers":{"web":"nginx:1.25"}}';
    const target = podTarget({ annotations: { [ORIGINAL_IMAGES_ANNOTATION]: existing } });

    const ops = buildPatch(
      target,
      [change("sidecar", "envoy:1", "m/envoy:1", { applied: true, index: 1 })],
      true,
    );

    expect(ops[1]).toEqual({
      op: "replace",
      path: ANNOTATION_PATH,
      value: '{"containers":{"web":"nginx:1.25","sidecar":"envoy:1"}}',
    });
  });

  it("leaves the annotation alone when it already records the change", () => {
    const existing = '{"containers":{"web":"a"}}';
    const target = podTarget({ annotations: { [ORIGINAL_IMAGES_ANNOTATION]: existing } });

    const ops = buildPatch(target, [change("web", "a", "b")], true);

    expect(ops).toEqual([{ op: "replace", path: "/spec/containers/0/image", value: "b" }]);
  });

  it("writes only the annotation for an audited change", () => {
    const ops = buildPatch(
      podTarget({}),
      [change("web", "a", "b", { applied: false, index: 0 })],
      true,
    );

    expect(ops).toEqual([
      { op: "add", path: "/metadata/annotations", value: expect.any(Object) as object },
    ]);
  });

  it("skips the annotation when told to", () => {
    const ops = buildPatch(podTarget({}), [change("web", "a", "b")], false);

    expect(ops).toHaveLength(1);
  });

  it("uses the template paths of a workload", () => {
    const target: PodTarget = {
      metadataPath: ["spec", "template", "metadata"],
      specPath: ["spec", "template", "spec"],
      metadata: { labels: {} },
      spec: {},
      ownerLabels: {},
    };

    const ops = buildPatch(target, [change("web", "a", "b")], true);

    expect(ops.map(op => op.path)).toEqual([
      "/spec/template/spec/containers/0/image",
      "/spec/template/metadata/annotations",
    ]);
  });
});

describe("mergeOriginalImages", () => {
  it("replaces a value that is not ours instead of failing", () => {
    expect(mergeOriginalImages("not json", [change("web", "a", "b")])).toBe(
      '{"containers":{"web":"a"}}',
    );
    expect(mergeOriginalImages("[1]", [change("web", "a", "b")])).toBe(
      '{"containers":{"web":"a"}}',
    );
  });

  it("records the newest original when an image is changed again", () => {
    const merged = mergeOriginalImages('{"containers":{"web":"a"}}', [change("web", "c", "d")]);

    expect(JSON.parse(merged)).toEqual({ containers: { web: "c" } });
  });
});
