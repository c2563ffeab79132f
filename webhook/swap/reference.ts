/**
 * Container image references, parsed and printed by the grammar that registries and runtimes
 * share (the distribution project's reference grammar), with Docker Hub normalization:
 * `nginx` = `docker.io/library/nginx` = `index.docker.io/library/nginx`.
 * Invalid input is reported, never repaired into a different reference.
 */

export const DOCKER_HUB = "docker.io";
const LEGACY_DOCKER_HUB = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
/** The grammar caps the whole name (domain and path) at 255 characters. */
export const NAME_MAX_CHARS = 255;

// Lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
// Only registered algorithms are accepted, each with its exact lowercase hex length.
const DIGEST_HEX_CHARS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
const IMAGE_ID = /^[a-f0-9]{64}$/;
// Whole-string forms of the component rules: one test on the hot path, the per-component checks
// below only run to explain a failure.
const VALID_PATH =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const VALID_DOMAIN =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;

export interface ImageReference {
  /** Registry `host[:port]`, normalized: `docker.io` for Docker Hub. */
  readonly domain: string;
  /** Repository path, normalized: `library/nginx` for `nginx`. */
  readonly path: string;
  /** The path as written after the domain: `nginx` for `nginx` and `docker.io/nginx`. */
  readonly writtenPath: string;
  readonly tag?: string;
  readonly digest?: string;
}

export type ParseResult =
  | { readonly ok: true; readonly ref: ImageReference }
  | { readonly ok: false; readonly error: string };

/** True when the first path component names a registry rather than a Docker Hub namespace. */
export function isDomainComponent(first: string): boolean {
  return first.includes(".") || first.includes(":") || first === "localhost";
}

/** Checks `host[:port]` (DNS name, IPv4 or bracketed IPv6); returns a problem or undefined. */
export function checkDomain(domain: string): string | undefined {
  if (VALID_DOMAIN.test(domain)) return undefined;
  const portAt = domain.startsWith("[")
    ? domain.indexOf(":", domain.indexOf("]"))
    : domain.indexOf(":");
  const host = portAt < 0 ? domain : domain.slice(0, portAt);
  const port = portAt < 0 ? undefined : domain.slice(portAt + 1);
  if (port !== undefined && !PORT.test(port)) return `registry port "${port}" is not a number`;
  if (IPV6_HOST.test(host)) return undefined;
  if (host === "" || !host.split(".").every(c => DOMAIN_COMPONENT.test(c))) {
    return `registry host "${host}" is not a valid host name`;
  }
  return `registry "${domain}" is not valid`;
}

/** Checks a repository path; returns a problem or undefined. */
export function checkPath(path: string): string | undefined {
  if (VALID_PATH.test(path)) return undefined;
  for (const component of path.split("/")) {
    if (component === "") return "repository path has an empty component";
    if (component.toLowerCase() !== component) return "repository name must be lowercase";
    if (!PATH_COMPONENT.test(component)) {
      return `repository path component "${component}" is not valid`;
    }
  }
  return `repository path "${path}" is not valid`;
}

function checkDigest(digest: string): string | undefined {
  if (!DIGEST.test(digest)) return `digest "${digest}" is not valid`;
  const [algorithm = "", hex = ""] = digest.split(":");
  const want = DIGEST_HEX_CHARS[algorithm];
  if (want === undefined) return `digest algorithm "${algorithm}" is not supported`;
  if (hex.length !== want || hex.toLowerCase() !== hex) {
    return `digest "${digest}" needs ${want} lowercase hex characters`;
  }
  return undefined;
}

/** Splits `name[:tag][@digest]`; the tag colon is the last one after the last slash. */
function splitSuffixes(text: string): { name: string; tag?: string; digest?: string } {
  const at = text.indexOf("@");
  const digest = at < 0 ? undefined : text.slice(at + 1);
  const rest = at < 0 ? text : text.slice(0, at);
  const colon = rest.lastIndexOf(":");
  if (colon < 0 || colon < rest.lastIndexOf("/")) return { name: rest, digest };
  return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
}

/** Splits a name into domain and path, applying Docker Hub normalization. */
export function splitDomain(name: string): { domain: string; path: string; writtenPath: string } {
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const explicit = slash >= 0 && isDomainComponent(first);
  let domain = explicit ? first : DOCKER_HUB;
  const writtenPath = explicit ? name.slice(slash + 1) : name;
  if (domain === LEGACY_DOCKER_HUB) domain = DOCKER_HUB;
  const official = domain === DOCKER_HUB && !writtenPath.includes("/");
  return { domain, path: official ? OFFICIAL_PREFIX + writtenPath : writtenPath, writtenPath };
}

/** Parses an image reference; never throws. */
export function parseReference(text: string): ParseResult {
  if (text === "") return { ok: false, error: "image reference is empty" };
  if (text.trim() !== text) return { ok: false, error: "image reference has surrounding spaces" };
  if (IMAGE_ID.test(text)) {
    return { ok: false, error: "a 64-character hex string is an image ID, not a reference" };
  }
  const { name, tag, digest } = splitSuffixes(text);
  if (name.length > NAME_MAX_CHARS) {
    return { ok: false, error: `name is ${name.length} characters, above ${NAME_MAX_CHARS}` };
  }
  const { domain, path, writtenPath } = splitDomain(name);
  const problem =
    checkDomain(domain) ??
    checkPath(writtenPath) ??
    (tag !== undefined && !TAG.test(tag) ? `tag "${tag}" is not valid` : undefined) ??
    (digest !== undefined ? checkDigest(digest) : undefined);
  if (problem !== undefined) return { ok: false, error: problem };
  return { ok: true, ref: { domain, path, writtenPath, tag, digest } };
}

/** `domain/path`, the normalized repository name. */
export function nameOf(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** `:tag@digest` as present, to append to a repository name. */
export function suffixOf(ref: Pick<ImageReference, "tag" | "digest">): string {
  return (
    (ref.tag !== undefined ? `:${ref.tag}` : "") +
    (ref.digest !== undefined ? `@${ref.digest}` : "")
  );
}

/** The fully qualified, normalized form: `docker.io/library/nginx:1.27`. */
export function formatReference(ref: ImageReference): string {
  return nameOf(ref) + suffixOf(ref);
}

/** The registry host without its port (`[::1]` keeps its brackets). */
export function hostOf(domain: string): string {
  const portAt = domain.startsWith("[")
    ? domain.indexOf(":", domain.indexOf("]"))
    : domain.indexOf(":");
  return portAt < 0 ? domain : domain.slice(0, portAt);
}

/**
 * The same text as one flat string. V8 keeps a concatenation as a rope until it is read; a rope
 * stored as a Map key is walked again on every comparison in its bucket, which made lookups in
 * large tables several times slower. Keys built at compile time go through here once.
 */
export function flatten(text: string): string {
  // A computed property name is interned: flat, hashed, and shared by equal strings.
  return Object.keys({ [text]: 0 })[0] as string;
}

export function isValidReference(text: string): boolean {
  return parseReference(text).ok;
}
