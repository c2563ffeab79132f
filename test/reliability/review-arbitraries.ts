import fc from "fast-check";

/**
 * fast-check generators of AdmissionReviews for the fuzzer: well-formed reviews with hostile
 * content (odd unicode, invalid images, annotation keys that JSON Pointer must escape), fixture
 * reviews with random parts replaced or removed, and bodies that are not reviews at all.
 */

type Json = Record<string, unknown>;

const HOSTILE_KEYS = [
  "/",
  "~",
  "~0",
  "~1",
  "~01",
  "a/b",
  "a~b",
  "~/~/",
  "",
  " ",
  "__proto__",
  "constructor",
  "k8s.twr.io/imageswap-original-images",
  "k8s.twr.io/imageswap",
  "\u0000",
  "\u202e/rtl",
  "😀/~1",
];

const ODD_IMAGES = [
  "",
  " ",
  "nginx:",
  ":1.0",
  "NGINX:1",
  "docker.io//nginx",
  "nginx@sha256:zz",
  "nginx:1.25\n",
  "nginx\u0000:1",
  "ｎｇｉｎｘ:1",
  "-/-:-",
  "a".repeat(300),
  `docker.io/${"a/".repeat(200)}x:1`,
  "localhost:99999999/app:1",
  "[::1]:5000/app:1",
  "docker.io/library/nginx:1.25@sha256:" + "a".repeat(64),
  "\ud800",
];

/** Annotation or label keys, half of them chosen to break naive JSON Pointer building. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_KEYS),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: fc.constantFrom("~", "/", "0", "1", "a"), maxLength: 8 }),
);

const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)?$/, { maxLength: 12 });
const registry = fc.constantFrom(
  "",
  "docker.io/",
  "docker.io/library/",
  "ghcr.io/",
  "quay.io/",
  "registry.k8s.io/",
  "localhost:5000/",
  "harbor.example.com/dockerhub/",
  "index.docker.io/",
);
const tag = fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined });
const digest = fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined, freq: 5 });

/** Image references that parse, spread over the registries the fuzz policy maps. */
export const validImage: fc.Arbitrary<string> = fc
  .tuple(registry, fc.array(component, { minLength: 1, maxLength: 3 }), tag, digest)
  .map(([reg, parts, t, d]) => {
    const withTag = t === undefined ? "" : `:${t}`;
    return `${reg}${parts.join("/")}${withTag}${d === undefined ? "" : `@sha256:${d}`}`;
  });

/** Anything that can stand where an image string belongs. */
export const oddImage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...ODD_IMAGES),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const image = fc.oneof({ weight: 3, arbitrary: validImage }, { weight: 2, arbitrary: oddImage });
const name = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom("", "~1", "a/b"),
);

const container = fc.record(
  { name, image, imagePullPolicy: fc.constantFrom("Always", "IfNotPresent") },
  { requiredKeys: ["image"] },
);
const containers = fc.array(container, { maxLength: 6 });
const imageVolume = fc.record({ name, image: fc.record({ reference: image }) });

const stringMap = fc.dictionary(hostileKey, fc.string({ unit: "grapheme", maxLength: 30 }), {
  maxKeys: 6,
});
const annotations = fc.oneof(
  { weight: 4, arbitrary: stringMap },
  { weight: 1, arbitrary: fc.dictionary(hostileKey, fc.jsonValue({ maxDepth: 3 })) },
  {
    weight: 1,
    arbitrary: fc.record({
      "k8s.twr.io/imageswap-original-images": fc.oneof(
        fc.string(),
        fc.jsonValue().map(v => JSON.stringify(v)),
      ),
    }),
  },
);

/** A Pod object with hostile metadata and a mix of valid and invalid images. */
export const podObject: fc.Arbitrary<Json> = fc.record(
  {
    apiVersion: fc.constant("v1"),
    kind: fc.constant("Pod"),
    metadata: fc.record(
      { name, namespace: name, labels: stringMap, annotations },
      { requiredKeys: [] },
    ),
    spec: fc.record(
      {
        containers,
        initContainers: containers,
        ephemeralContainers: containers,
        volumes: fc.array(imageVolume, { maxLength: 3 }),
      },
      { requiredKeys: ["containers"] },
    ),
  },
  { requiredKeys: ["spec"] },
);

/** A well-shaped AdmissionReview of a Pod with hostile content. */
export const podReview: fc.Arbitrary<Json> = fc
  .record({
    apiVersion: fc.constantFrom("admission.k8s.io/v1", "admission.k8s.io/v1beta1"),
    uid: fc.uuid(),
    operation: fc.constantFrom("CREATE", "CREATE", "UPDATE", "DELETE", "CONNECT"),
    namespace: name,
    object: podObject,
    oldObject: fc.option(podObject, { nil: undefined }),
    subResource: fc.constantFrom(undefined, undefined, "ephemeralcontainers", "status", "/"),
  })
  .map(r => ({
    apiVersion: r.apiVersion,
    kind: "AdmissionReview",
    request: {
      uid: r.uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      subResource: r.subResource,
      namespace: r.namespace,
      operation: r.operation,
      userInfo: { username: "fuzz" },
      object: r.object,
      oldObject: r.oldObject,
    },
  }));

/** Paths to every value inside `root`, objects and arrays included. */
function pathsOf(
  root: unknown,
  prefix: Array<string | number> = [],
): Array<Array<string | number>> {
  if (typeof root !== "object" || root === null) return [prefix];
  const entries = Array.isArray(root) ? root.map((v, i) => [i, v] as const) : Object.entries(root);
  return [prefix, ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

/** Replaces (or, for `undefined`, deletes) the value at `path` in a copy of `root`. */
function withValueAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/**
 * A review with 1-4 random values replaced by random JSON or removed: exercises every guard on
 * the way from the body to the patch.
 */
export function mutatedReview(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const edit = fc.tuple(
    fc.nat(),
    fc.option(fc.oneof(fc.jsonValue({ maxDepth: 3 }), oddImage, hostileKey), { freq: 4 }),
  );
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([review, edits]) => {
    let out: unknown = review;
    for (const [pick, value] of edits) {
      const paths = pathsOf(out);
      out = withValueAt(out, paths[pick % paths.length] ?? [], value ?? undefined);
    }
    return out;
  });
}

/** Nested arrays `depth` deep, as JSON text (no recursion: deep enough to break recursion). */
export function deepJson(depth: number, leaf = '"nginx:1"'): string {
  return "[".repeat(depth) + leaf + "]".repeat(depth);
}
