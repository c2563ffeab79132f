/**
 * A strict RFC 6902 JSON Patch applier of our own, so that the reliability suites check the
 * webhook's patches with code that shares nothing with the code that wrote them. Strict as the
 * apiserver is: a `replace` or `remove` of a missing member, an `add` under a missing parent or
 * an array index past the end fails the whole patch.
 */

export interface PatchOperation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** Thrown when a patch does not apply; the message names the operation and why. */
export class PatchError extends Error {
  override readonly name = "PatchError";
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === "object" && value !== null;
}

/** RFC 6901 tokens of a pointer: `""` is the root, every other pointer starts with `/`. */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError(`pointer ${JSON.stringify(pointer)} lacks /`);
  return pointer
    .slice(1)
    .split("/")
    .map(token => {
      if (/~[^01]|~$/.test(token)) throw new PatchError(`bad escape in ${JSON.stringify(token)}`);
      return token.replace(/~1/g, "/").replace(/~0/g, "~");
    });
}

function arrayIndex(list: unknown[], token: string, forAdd: boolean): number {
  if (forAdd && token === "-") return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`bad array index ${token}`);
  const index = Number(token);
  const limit = forAdd ? list.length : list.length - 1;
  if (index > limit) throw new PatchError(`index ${index} past the end (${list.length})`);
  return index;
}

function child(node: unknown, token: string): unknown {
  if (Array.isArray(node)) return node[arrayIndex(node, token, false)];
  if (isContainer(node) && Object.hasOwn(node, token))
    return (node as Record<string, unknown>)[token];
  throw new PatchError(`no member ${JSON.stringify(token)}`);
}

/** The parent container of `tokens` and the last token; the parent must exist. */
function parentOf(doc: unknown, tokens: string[]): { parent: Container; key: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) node = child(node, token);
  if (!isContainer(node)) throw new PatchError("parent is not an object or array");
  return { parent: node, key: tokens[tokens.length - 1] as string };
}

function getAt(doc: unknown, pointer: string): unknown {
  return parsePointer(pointer).reduce<unknown>((node, token) => child(node, token), doc);
}

function addAt(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, value);
  else parent[key] = value;
  return doc;
}

function removeAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchError("cannot remove the root");
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, key, false), 1);
    return doc;
  }
  if (!Object.hasOwn(parent, key)) throw new PatchError(`remove of missing ${pointer}`);
  delete parent[key];
  return doc;
}

function replaceAt(doc: unknown, pointer: string, value: unknown): unknown {
  if (pointer === "") return value;
  getAt(doc, pointer);
  return addAt(removeAt(doc, pointer), pointer, value);
}

function testAt(doc: unknown, pointer: string, value: unknown): unknown {
  if (JSON.stringify(getAt(doc, pointer)) !== JSON.stringify(value))
    throw new PatchError(`test failed at ${pointer}`);
  return doc;
}

function copyAt(doc: unknown, op: PatchOperation, move: boolean): unknown {
  const value = structuredClone(getAt(doc, op.from ?? ""));
  return addAt(move ? removeAt(doc, op.from ?? "") : doc, op.path, value);
}

const OPERATIONS: Record<string, (doc: unknown, op: PatchOperation) => unknown> = {
  add: (doc, op) => addAt(doc, op.path, structuredClone(op.value)),
  remove: (doc, op) => removeAt(doc, op.path),
  replace: (doc, op) => replaceAt(doc, op.path, structuredClone(op.value)),
  test: (doc, op) => testAt(doc, op.path, op.value),
  move: (doc, op) => copyAt(doc, op, true),
  copy: (doc, op) => copyAt(doc, op, false),
};

function applyOne(doc: unknown, op: PatchOperation): unknown {
  const apply = Object.hasOwn(OPERATIONS, op.op) ? OPERATIONS[op.op] : undefined;
  if (!apply) throw new PatchError(`unknown op ${JSON.stringify(op.op)}`);
  return apply(doc, op);
}

/**
 * Applies `ops` to `doc` IN PLACE and returns the resulting root. Callers pass a fresh copy
 * (e.g. a second `JSON.parse` of the body): cloning a 100,000-deep document would overflow the
 * stack, which is itself one of the inputs the fuzzer sends.
 * @throws PatchError when any operation does not apply
 */
export function applyJsonPatch(doc: unknown, ops: readonly PatchOperation[]): unknown {
  let out = doc;
  for (const [index, op] of ops.entries()) {
    try {
      out = applyOne(out, op);
    } catch (err) {
      throw new PatchError(`operation ${index} (${op.op} ${op.path}): ${(err as Error).message}`);
    }
  }
  return out;
}
