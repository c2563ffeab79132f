import { hostOf, nameOf, type ImageReference } from "./reference.js";
import type { NamePrefix } from "./target.js";

/**
 * Longest-prefix lookup on whole name components, by hashing: one probe per component of the
 * image name (from the longest prefix down), so the cost per image depends on the depth of the
 * name, not on how many prefixes are stored. A prefix whose domain has no port also matches the
 * host on any port; one with a port matches that port only and, being more specific, wins.
 */

/** An image name cut at each component boundary, computed once per image. */
export interface NameProbe {
  /** `domain/path`, normalized. */
  readonly name: string;
  /** `name` with the port dropped, when the domain has one. */
  readonly bare?: string;
  /** End offset in `name` of each prefix, shortest (the domain) first. */
  readonly cuts: readonly number[];
  /** Characters the `:port` takes in `name`. */
  readonly portChars: number;
}

export function probeOf(ref: ImageReference): NameProbe {
  const name = nameOf(ref);
  const cuts: number[] = [];
  for (let i = ref.domain.length; i >= 0; i = name.indexOf("/", i + 1)) cuts.push(i);
  cuts.push(name.length);
  const host = hostOf(ref.domain);
  const portChars = ref.domain.length - host.length;
  return {
    name,
    bare: portChars > 0 ? host + name.slice(ref.domain.length) : undefined,
    cuts,
    portChars,
  };
}

export interface PrefixMatch<V> {
  value: V;
  /** Number of components matched, the domain counting as one. */
  depth: number;
  /** True when a port-less prefix matched an image whose domain has a port. */
  viaAnyPort: boolean;
}

export class PrefixIndex<V> {
  private readonly withPort = new Map<string, V>();
  private readonly anyPort = new Map<string, V>();
  private maxDepth = 0;

  get size(): number {
    return this.withPort.size + this.anyPort.size;
  }

  /** Adds a prefix; returns the value already stored under it instead, if any. */
  add(prefix: NamePrefix, value: V): V | undefined {
    const map = prefix.anyPort ? this.anyPort : this.withPort;
    const existing = map.get(prefix.key);
    if (existing !== undefined) return existing;
    map.set(prefix.key, value);
    let depth = 1;
    for (let i = prefix.key.indexOf("/"); i >= 0; i = prefix.key.indexOf("/", i + 1)) depth++;
    this.maxDepth = Math.max(this.maxDepth, depth);
    return undefined;
  }

  /** The value stored under a prefix, created by `make` when there is none yet. */
  slot(prefix: NamePrefix, make: () => V): V {
    const value = make();
    return this.add(prefix, value) ?? value;
  }

  /**
   * Visits the stored prefixes of the probed name from the longest down (at one depth the one
   * naming the port first) until `visit` returns true.
   */
  scan(probe: NameProbe, visit: (value: V, depth: number, viaAnyPort: boolean) => boolean): void {
    const { cuts, name, bare, portChars } = probe;
    for (let depth = Math.min(cuts.length, this.maxDepth); depth >= 1; depth--) {
      const cut = cuts[depth - 1] as number;
      if (bare === undefined) {
        const value = this.anyPort.get(name.slice(0, cut));
        if (value !== undefined && visit(value, depth, false)) return;
        continue;
      }
      const exact = this.withPort.get(name.slice(0, cut));
      if (exact !== undefined && visit(exact, depth, false)) return;
      const loose = this.anyPort.get(bare.slice(0, cut - portChars));
      if (loose !== undefined && visit(loose, depth, true)) return;
    }
  }

  /** The longest stored prefix of the probed name, if any. */
  lookup(probe: NameProbe): PrefixMatch<V> | undefined {
    let match: PrefixMatch<V> | undefined;
    this.scan(probe, (value, depth, viaAnyPort) => {
      match = { value, depth, viaAnyPort };
      return true;
    });
    return match;
  }
}

/** True when the probed name is the prefix or lies below it on a component boundary. */
export function isUnder(prefix: NamePrefix, probe: NameProbe): boolean {
  const name = prefix.anyPort && probe.bare !== undefined ? probe.bare : probe.name;
  const key = prefix.key;
  return name.startsWith(key) && (name.length === key.length || name.charCodeAt(key.length) === 47);
}

/** True when, below `parent`, the probed name's next component starts with `stem`. */
export function isUnderStem(parent: NamePrefix, stem: string, probe: NameProbe): boolean {
  const name = parent.anyPort && probe.bare !== undefined ? probe.bare : probe.name;
  const key = parent.key;
  return (
    name.startsWith(key) &&
    name.charCodeAt(key.length) === 47 &&
    name.startsWith(stem, key.length + 1)
  );
}

/**
 * Stems of prefix-mode targets (`my.example.com/mirror-`), keyed by their parent prefix: an
 * image is under one when, below that parent, its next component starts with the stem.
 */
export class StemIndex<V> {
  private readonly parents = new PrefixIndex<Array<{ stem: string; value: V }>>();

  add(parent: NamePrefix, stem: string, value: V): void {
    const list = [{ stem, value }];
    const existing = this.parents.add(parent, list);
    if (existing !== undefined) existing.push(...list);
  }

  /** A stem whose parent is a prefix of the probed name and whose stem starts the next part. */
  lookup(probe: NameProbe): V | undefined {
    if (this.parents.size === 0) return undefined;
    // Probe every depth: a deeper parent that does not match must not hide a shallower one.
    for (let depth = probe.cuts.length - 1; depth >= 1; depth--) {
      const sub = { ...probe, cuts: probe.cuts.slice(0, depth) };
      const hit = this.parents.lookup(sub);
      if (hit === undefined) return undefined;
      const start = (probe.cuts[hit.depth - 1] as number) + 1;
      const next = probe.name.slice(start, probe.cuts[hit.depth]);
      const found = hit.value.find(entry => next.startsWith(entry.stem));
      if (found !== undefined) return found.value;
      depth = hit.depth;
    }
    return undefined;
  }
}
