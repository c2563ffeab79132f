import {
  PrefixIndex,
  StemIndex,
  isUnder,
  isUnderStem,
  probeOf,
  type NameProbe,
} from "./prefix-index.js";
import type {
  Cover,
  DefaultEntry,
  ExactEntry,
  NoSwapEntry,
  PatternEntry,
  PolicyProgram,
  RegistryEntry,
  RuleOrigin,
} from "./program.js";
import { PatternIndex } from "./pattern-index.js";
import { formatReference, parseReference, type ImageReference } from "./reference.js";
import { applyPrefix, applyStem, portOf } from "./target.js";
import { expandTemplate } from "./template.js";
import type { SwapDecision } from "./types.js";

/**
 * The rules of one set of policies merged into lookups, and the decision for one image.
 * Rules and the targets that mark an image as already swapped share their hash maps, so an
 * image costs one exact probe and one probe per name component, however many rules there are.
 *
 * WARNING: the order in `decide` is the documented precedence; the already-swapped check must
 * stay first, or a second pass could rewrite an image a rule produced (swapping would not be
 * idempotent). Then: exact, patterns in order, longest registry rule, noSwap, default.
 */

interface ExactSlot {
  rule?: ExactEntry;
  /** A rule whose output is exactly this image. */
  cover?: RuleOrigin;
}

interface PrefixSlot {
  registry?: RegistryEntry;
  /** A rule whose outputs lie under this prefix. */
  cover?: RuleOrigin;
}

interface RegistryHit {
  entry: RegistryEntry;
  depth: number;
  viaAnyPort: boolean;
}

export class SwapView {
  private readonly exact = new Map<string, ExactSlot>();
  private readonly prefixes = new PrefixIndex<PrefixSlot>();
  private readonly stems = new StemIndex<RuleOrigin>();
  private readonly patterns: PatternIndex;
  private readonly noSwap: NoSwapEntry[] = [];
  private fallback?: DefaultEntry;

  /** `programs` in precedence order: the first to claim a key keeps it. */
  constructor(programs: readonly PolicyProgram[]) {
    const patterns: PatternEntry[] = [];
    for (const { rules } of programs) {
      for (const entry of rules.exact) {
        const slot = this.exactSlot(entry.key);
        slot.rule ??= entry;
      }
      for (const entry of rules.registries) {
        const slot = this.prefixes.slot(entry.source, () => ({}));
        slot.registry ??= entry;
      }
      patterns.push(...rules.patterns);
      this.noSwap.push(...rules.noSwap);
      this.fallback ??= rules.default;
      // TODO(#3): a rule whose source lies under another rule's target can never fire (the
      // already-swapped check comes first); say so in the report instead of only in the docs.
      const all = [...rules.exact, ...rules.registries, ...rules.patterns];
      for (const origin of rules.default ? [...all, rules.default] : all) this.addCover(origin);
    }
    this.patterns = new PatternIndex(patterns);
  }

  private exactSlot(key: string): ExactSlot {
    let slot = this.exact.get(key);
    if (!slot) this.exact.set(key, (slot = {}));
    return slot;
  }

  private addCover(origin: RuleOrigin): void {
    const cover = origin.cover;
    if (cover?.kind === "exact") this.exactSlot(cover.key).cover ??= origin;
    else if (cover?.kind === "prefix")
      this.prefixes.slot(cover.prefix, () => ({})).cover ??= origin;
    else if (cover?.kind === "stem") this.stems.add(cover.parent, cover.stem, origin);
  }

  decide(image: string): SwapDecision {
    const parsed = parseReference(image);
    if (!parsed.ok) {
      return { input: image, output: image, changed: false, mode: "Enforce", error: parsed.error };
    }
    const ref = parsed.ref;
    const probe = probeOf(ref);
    const full = formatReference(ref);
    const exact = this.exact.get(full);
    const { covered, hit } = this.scanPrefixes(probe, exact?.cover);
    if (covered) return { ...unchanged(image, covered), alreadySwapped: true };

    // An exact target was parsed when it compiled and is its own cover: no need to check again.
    const rule = exact?.rule;
    if (rule)
      return {
        input: image,
        output: rule.output,
        changed: rule.output !== image,
        mode: rule.mode,
        rule: rule.ref,
      };
    const matched = this.patterns.first([image, full], p => applyPattern(p, image, full, ref));
    if (matched) return this.result(image, matched[1], matched[0]);
    if (hit) return this.result(image, rewriteRegistry(hit, ref, image), hit.entry);
    const noSwap = this.noSwap.find(e => image.includes(e.text) || full.includes(e.text));
    if (noSwap) return unchanged(image, noSwap);
    if (this.fallback) return this.result(image, rewriteDefault(this.fallback, ref), this.fallback);
    return { input: image, output: image, changed: false, mode: "Enforce" };
  }

  /**
   * One pass over the name's prefixes finds both a target the image already lies under (which
   * ends the search) and the longest registry rule.
   */
  private scanPrefixes(
    probe: NameProbe,
    exactCover: RuleOrigin | undefined,
  ): { covered?: RuleOrigin; hit?: RegistryHit } {
    let covered = exactCover;
    let hit: RegistryHit | undefined;
    this.prefixes.scan(probe, (slot, depth, viaAnyPort) => {
      covered ??= slot.cover;
      if (slot.registry && !hit) hit = { entry: slot.registry, depth, viaAnyPort };
      return covered !== undefined;
    });
    return { covered: covered ?? this.stems.lookup(probe), hit };
  }

  /**
   * A rule's output, unless it is not a valid reference or does not land under the rule's own
   * target (`m.example.com` alone would name a Docker Hub image): then the image stays, with an
   * error. The second check is what makes every change recognizable on the next pass.
   */
  private result(image: string, output: string, origin: RuleOrigin): SwapDecision {
    if (output === image) return unchanged(image, origin);
    const parsed = parseReference(output);
    if (!parsed.ok) return failed(image, origin, output, `which is not valid: ${parsed.error}`);
    if (!origin.cover || !liesUnder(origin.cover, parsed.ref)) {
      return failed(image, origin, output, "which does not lie under the rule's target");
    }
    return { input: image, output, changed: true, mode: origin.mode, rule: origin.ref };
  }
}

function liesUnder(cover: Cover, ref: ImageReference): boolean {
  if (cover.kind === "exact") return formatReference(ref) === cover.key;
  const probe: NameProbe = probeOf(ref);
  if (cover.kind === "prefix") return isUnder(cover.prefix, probe);
  return isUnderStem(cover.parent, cover.stem, probe);
}

function unchanged(image: string, origin: RuleOrigin): SwapDecision {
  return { input: image, output: image, changed: false, mode: origin.mode, rule: origin.ref };
}

function failed(image: string, origin: RuleOrigin, output: string, why: string): SwapDecision {
  return { ...unchanged(image, origin), error: `rule would produce "${output}", ${why}` };
}

/** Patterns see the image as written first, then its normalized form. */
function applyPattern(
  pattern: PatternEntry,
  image: string,
  full: string,
  ref: ImageReference,
): string | undefined {
  if (pattern.kind === "regex") {
    const match = pattern.re.exec(image) ?? pattern.re.exec(full);
    return match ? expandTemplate(pattern.template, match) : undefined;
  }
  if (!pattern.re.test(image) && !pattern.re.test(full)) return undefined;
  if (!pattern.target) return image;
  // As the predecessor's [REPLACE]: the target, then the last path component with tag and digest.
  const last = ref.writtenPath.slice(ref.writtenPath.lastIndexOf("/") + 1);
  return applyPrefix(pattern.target, last, ref);
}

function rewriteRegistry(
  { entry, depth, viaAnyPort }: RegistryHit,
  ref: ImageReference,
  image: string,
): string {
  const target = entry.target;
  if (!target) return image;
  if (target.kind === "stem") return applyStem(target, ref);
  // A registry-only rule keeps the path as written, so `nginx` does not gain `library/`.
  const remainder = depth === 1 ? ref.writtenPath : ref.path.slice(entry.source.path.length + 1);
  const port = viaAnyPort && target.bareHost ? portOf(ref.domain) : undefined;
  return applyPrefix(target, remainder, ref, port);
}

/** The default replaces the whole registry, port included. */
function rewriteDefault(entry: DefaultEntry, ref: ImageReference): string {
  const target = entry.target;
  return target.kind === "stem"
    ? applyStem(target, ref)
    : applyPrefix(target, ref.writtenPath, ref);
}
