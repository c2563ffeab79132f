import {
  DOCKER_HUB,
  checkDomain,
  checkPath,
  flatten,
  hostOf,
  isDomainComponent,
  suffixOf,
  type ImageReference,
} from "./reference.js";

/**
 * Name prefixes (`harbor.example.com/dockerhub`) and the targets rules rewrite images to.
 * A prefix target replaces the matched part of the name; a stem target (ending in `-`, the
 * predecessor's "prefix mode") is glued in front of the image's host and path.
 */

const LEGACY_DOCKER_HUB = "index.docker.io";

export interface NamePrefix {
  /** `host[:port]`, Docker Hub normalized. */
  domain: string;
  /** Path below the domain, `""` for a registry alone. */
  path: string;
  /** `domain[/path]`: the lookup key. */
  key: string;
  /** True when the domain carries no port: the prefix then matches the host on any port. */
  anyPort: boolean;
}

export type Target =
  | { kind: "prefix"; text: string; prefix: NamePrefix; bareHost: boolean }
  | { kind: "stem"; text: string; parent: NamePrefix; stem: string };

export type Checked<T> = { value: T; problem?: undefined } | { value?: undefined; problem: string };

/**
 * Normalizes `host[:port][/path]`, or a bare path (then on Docker Hub). Unlike an image name, a
 * one-component prefix gains no `library/`: `mirror` is the namespace `docker.io/mirror`.
 */
export function parsePrefix(text: string, requireDomain: boolean): Checked<NamePrefix> {
  const slash = text.indexOf("/");
  const first = slash < 0 ? text : text.slice(0, slash);
  const explicit = isDomainComponent(first);
  if (requireDomain && !explicit) {
    return { problem: `"${text}" does not start with a registry host (it needs a "." or ":")` };
  }
  const domain = !explicit ? DOCKER_HUB : first === LEGACY_DOCKER_HUB ? DOCKER_HUB : first;
  const path = !explicit ? text : slash < 0 ? "" : text.slice(slash + 1);
  const problem = checkDomain(domain) ?? (path !== "" ? checkPath(path) : undefined);
  if (problem !== undefined) return { problem: `"${text}": ${problem}` };
  const key = flatten(path === "" ? domain : `${domain}/${path}`);
  return { value: { domain, path, key, anyPort: hostOf(domain) === domain } };
}

/** Parses a rule target; `stems` allows the predecessor's trailing-`-` prefix mode. */
export function parseTarget(text: string, stems: boolean): Checked<Target> {
  const trimmed = text.replace(/\/+$/, "");
  if (trimmed === "") return { problem: "target is empty" };
  if (trimmed.endsWith("-")) return stems ? parseStem(trimmed) : { problem: "target ends in -" };
  const prefix = parsePrefix(trimmed, false);
  if (prefix.problem !== undefined) return { problem: `target ${prefix.problem}` };
  const bareHost = prefix.value.path === "" && prefix.value.anyPort;
  return { value: { kind: "prefix", text: trimmed, prefix: prefix.value, bareHost } };
}

function parseStem(text: string): Checked<Target> {
  const slash = text.lastIndexOf("/");
  if (slash < 0) return { problem: `target "${text}" needs a registry before its "-" stem` };
  const parent = parsePrefix(text.slice(0, slash), false);
  if (parent.problem !== undefined) return { problem: `target ${parent.problem}` };
  const stem = text.slice(slash + 1);
  // The stem is glued to a host name, so it must start a valid path component.
  const problem = checkPath(`${stem}x`);
  if (problem !== undefined) return { problem: `target "${text}": ${problem}` };
  return { value: { kind: "stem", text, parent: parent.value, stem } };
}

/**
 * Rewrites an image onto a prefix target: `target/remainder:tag@digest`. `carriedPort` is the
 * image's port when the rule matched the host on any port and the target is a bare host.
 */
export function applyPrefix(
  target: Extract<Target, { kind: "prefix" }>,
  remainder: string,
  ref: ImageReference,
  carriedPort?: string,
): string {
  const host = carriedPort !== undefined ? `${target.text}:${carriedPort}` : target.text;
  return (remainder === "" ? host : `${host}/${remainder}`) + suffixOf(ref);
}

/** Prefix mode: `stem` + image host (port dropped) + `/` + path as written + tag and digest. */
export function applyStem(target: Extract<Target, { kind: "stem" }>, ref: ImageReference): string {
  return `${target.text}${hostOf(ref.domain)}/${ref.writtenPath}${suffixOf(ref)}`;
}

/** The port of a `host:port` domain, if any. */
export function portOf(domain: string): string | undefined {
  const host = hostOf(domain);
  return host === domain ? undefined : domain.slice(host.length + 1);
}
