/**
 * What "a valid Pod after the patch" means to the fuzzer, written from the image reference
 * grammar of the distribution project (the one the kubelet and container runtimes parse), not
 * from our swap engine: the check must not share a bug with the code it checks.
 */

const ORIGINAL_IMAGES = "k8s.twr.io/imageswap-original-images";

// domain: DNS labels (letters, digits, inner hyphens) joined by dots, optional port;
// path components: lowercase alphanumerics joined by ".", "_", "__" or runs of "-".
const LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::${TAG})?(?:@${DIGEST})?$`,
);
const NAME_MAX = 255;

/** True when `image` parses as a container image reference (name at most 255 characters). */
export function isImageReference(image: unknown): boolean {
  if (typeof image !== "string") return false;
  const match = REFERENCE.exec(image);
  if (!match) return false;
  const name = match[1] ? `${match[1]}/${match[2]}` : (match[2] ?? "");
  return name.length <= NAME_MAX;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** [pointer-ish path, value] of every image a pod spec names. */
export function imagesOf(spec: unknown): Array<[string, unknown]> {
  if (!isRecord(spec)) return [];
  const out: Array<[string, unknown]> = [];
  for (const field of ["containers", "initContainers", "ephemeralContainers"]) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c: unknown, i) => isRecord(c) && out.push([`${field}/${i}`, c.image]));
  }
  const volumes = spec.volumes;
  if (Array.isArray(volumes)) {
    volumes.forEach((v: unknown, i) => {
      if (isRecord(v) && isRecord(v.image)) out.push([`volumes/${i}`, v.image.reference]);
    });
  }
  return out;
}

function annotationsOf(pod: unknown): unknown {
  return isRecord(pod) && isRecord(pod.metadata) ? pod.metadata.annotations : undefined;
}

/**
 * Blanks, IN PLACE, every image and our annotation: what is left is what a patch must not touch.
 * A patch may have created `metadata` or `annotations` to hold the annotation; empty ones go.
 */
function blankPatchable(pod: unknown): void {
  if (!isRecord(pod)) return;
  for (const [path] of imagesOf(pod.spec)) {
    const [field, index] = path.split("/") as [string, string];
    const entry = ((pod.spec as Json)[field] as Json[])[Number(index)] as Json;
    if (field === "volumes") (entry.image as Json).reference = "<image>";
    else entry.image = "<image>";
  }
  const metadata = pod.metadata;
  if (!isRecord(metadata)) return;
  if (isRecord(metadata.annotations)) {
    delete metadata.annotations[ORIGINAL_IMAGES];
    if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  }
  if (Object.keys(metadata).length === 0) delete pod.metadata;
}

/**
 * `metadata` or `annotations` that was not an object (the apiserver never sends such a Pod, a
 * fuzzer does) may be replaced by one holding only our annotation: put the original back, so
 * that the comparison sees no other change.
 */
function restoreReplacedMetadata(original: unknown, patched: unknown): void {
  if (!isRecord(original) || !isRecord(patched) || !isRecord(patched.metadata)) return;
  const only = (value: unknown, key: string): boolean =>
    isRecord(value) && Object.keys(value).length === 1 && key in value;
  if (!isRecord(original.metadata)) {
    if (!only(patched.metadata, "annotations")) return;
    if (original.metadata === undefined) delete patched.metadata;
    else patched.metadata = original.metadata;
    return;
  }
  const annotations = original.metadata.annotations;
  if (annotations !== undefined && !isRecord(annotations)) {
    if (only(patched.metadata.annotations, ORIGINAL_IMAGES))
      patched.metadata.annotations = annotations;
  }
}

/** Children of two containers to compare, or `false` when they cannot be equal. */
function pairedChildren(x: unknown, y: unknown): Array<[unknown, unknown]> | false {
  if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length || !keys.every(k => Object.hasOwn(y, k))) return false;
  return keys.map(k => [(x as Json)[k], (y as Json)[k]]);
}

/** Deep equality of two JSON values without recursion (fuzzed documents nest 100,000 deep). */
export function sameJson(a: unknown, b: unknown): boolean {
  const pending: Array<[unknown, unknown]> = [[a, b]];
  while (pending.length > 0) {
    const [x, y] = pending.pop() as [unknown, unknown];
    if (x === y) continue;
    const children = pairedChildren(x, y);
    if (!children) return false;
    for (const pair of children) pending.push(pair);
  }
  return true;
}

/** A short, safe description of any value (it may be a 100,000-deep array). */
function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 100)) : `a ${typeof value}`;
}

function checkAnnotation(before: unknown, after: unknown, problems: string[]): void {
  const value = isRecord(after) ? after[ORIGINAL_IMAGES] : undefined;
  const old = isRecord(before) ? before[ORIGINAL_IMAGES] : undefined;
  if (value === undefined || sameJson(value, old)) return;
  if (typeof value !== "string") return void problems.push("annotation value is not a string");
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return void problems.push("annotation value is not JSON");
  }
  const ok = isRecord(parsed) && Object.values(parsed).every(isRecord);
  if (!ok) problems.push("annotation value is not a map of maps");
}

/**
 * Problems of `patched` as the result of patching `original`: every image the patch changed
 * must parse, our annotation must be well-formed JSON, and nothing else may differ. Both
 * documents are modified: pass copies.
 */
export function patchedPodProblems(original: unknown, patched: unknown): string[] {
  const problems: string[] = [];
  const before = new Map(imagesOf(isRecord(original) ? original.spec : undefined));
  for (const [path, image] of imagesOf(isRecord(patched) ? patched.spec : undefined)) {
    if (sameJson(before.get(path), image)) continue;
    if (!isImageReference(image)) problems.push(`${path}: ${describe(image)} does not parse`);
  }
  checkAnnotation(annotationsOf(original), annotationsOf(patched), problems);
  restoreReplacedMetadata(original, patched);
  blankPatchable(original);
  blankPatchable(patched);
  if (!sameJson(original, patched)) {
    problems.push("the patch changed more than images and the original-images annotation");
  }
  return problems;
}
