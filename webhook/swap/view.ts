import { PrefixIndex, StemIndex, probeOf, type NameProbe } from "./prefix-index.js";
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
import { coverOf } from "./program.js";
import { formatReference, parseReference, type ImageReference } from "./reference.js";
import { applyPrefix, applyStem, portOf } from "./target.js";
import { expandTemplate } from "./template.js";
import type { SwapDecision } from "./types.js";

/**
 * The rules of one set of policies merged into lookups, and the decision for one image.
 *
 * WARNING: the order in `decide` is the documented precedence; the already-swapped check must
 * stay first, or a second pass could rewrite an image a rule produced (swapping would not be
 * idempotent). Then: exact, patterns in order, longest registry rule, noSwap, default.
 */
export class SwapView {
  private readonly exact = new Map<string, ExactEntry>();
  private readonly registries = new PrefixIndex<RegistryEntry>();
  private readonly patterns: PatternEntry[] = [];
  private readonly noSwap: NoSwapEntry[] = [];
  private fallback?: DefaultEntry;
  private readonly exactCovers = new Map<string, RuleOrigin>();
  private readonly prefixCovers = new PrefixIndex<RuleOrigin>();
  private readonly stemCovers = new StemIndex<RuleOrigin>();

  /** `programs` in precedence order: the first to claim a key keeps it. */
  constructor(programs: readonly PolicyProgram[]) {
    for (const { rules } of programs) {
      for (const entry of rules.exact) {
        if (!this.exact.has(entry.key)) this.exact.set(entry.key, entry);
        this.addCover({ kind: "exact", key: entry.targetKey }, entry);
      }
      for (const entry of rules.registries) {
        this.registries.add(entry.source, entry);
        if (entry.target) this.addCover(coverOf(entry.target), entry);
      }
      for (const entry of rules.patterns) {
        this.patterns.push(entry);
        if (entry.kind === "regex") this.addCover(entry.cover, entry);
        else if (entry.target) this.addCover(coverOf(entry.target), entry);
      }
      this.noSwap.push(...rules.noSwap);
      if (rules.default && !this.fallback) this.fallback = rules.default;
      if (rules.default) this.addCover(coverOf(rules.default.target), rules.default);
    }
  }

  private addCover(cover: Cover, origin: RuleOrigin): void {
    if (cover.kind === "exact") {
      if (!this.exactCovers.has(cover.key)) this.exactCovers.set(cover.key, origin);
    } else if (cover.kind === "prefix") {
      this.prefixCovers.add(cover.prefix, origin);
    } else {
      this.stemCovers.add(cover.parent, cover.stem, origin);
    }
  }

  decide(image: string): SwapDecision {
    const parsed = parseReference(image);
    if (!parsed.ok)
      return { input: image, output: image, changed: false, mode: "Enforce", error: parsed.error };
    const ref = parsed.ref;
    const probe = probeOf(ref);
    const full = formatReference(ref);
    const cover = this.coverOf(full, probe);
    if (cover) return { ...unchanged(image, cover), alreadySwapped: true };
    const exact = this.exact.get(full);
    if (exact) return this.result(image, exact.output, exact);
    for (const pattern of this.patterns) {
      const output = applyPattern(pattern, image, full, ref);
      if (output !== undefined) return this.result(image, output, pattern);
    }
    const hit = this.registries.lookup(probe);
    if (hit)
      return this.result(
        image,
        rewriteRegistry(hit.value, hit.depth, hit.viaAnyPort, ref, image),
        hit.value,
      );
    const noSwap = this.noSwap.find(
      entry => image.includes(entry.text) || full.includes(entry.text),
    );
    if (noSwap) return unchanged(image, noSwap);
    if (this.fallback) return this.result(image, rewriteDefault(this.fallback, ref), this.fallback);
    return { input: image, output: image, changed: false, mode: "Enforce" };
  }

  /**
   * A rule's output, unless it is not a valid reference or does not land under any rule's target
   * (`m.example.com` alone would name a Docker Hub image): then the image stays, with an error.
   * The second check is what makes every change recognizable on the next pass.
   */
  private result(image: string, output: string, origin: RuleOrigin): SwapDecision {
    if (output === image) return unchanged(image, origin);
    const parsed = parseReference(output);
    if (!parsed.ok) return failed(image, origin, output, `which is not valid: ${parsed.error}`);
    if (!this.coverOf(formatReference(parsed.ref), probeOf(parsed.ref))) {
      return failed(image, origin, output, "which does not lie under the rule's target");
    }
    return { input: image, output, changed: true, mode: origin.mode, rule: origin.ref };
  }

  private coverOf(full: string, probe: NameProbe): RuleOrigin | undefined {
    return (
      this.exactCovers.get(full) ??
      this.prefixCovers.lookup(probe)?.value ??
      this.stemCovers.lookup(probe)
    );
  }
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
  entry: RegistryEntry,
  depth: number,
  viaAnyPort: boolean,
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
