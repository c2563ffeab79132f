import type { PatternEntry } from "./program.js";

/**
 * Patterns in their precedence order, with globs indexed by their literal prefix, so that an
 * image is tested only against the globs that can match it: the cost per image follows the
 * number of distinct prefix lengths and of candidate globs, not the number of globs. Regexes
 * (whose literal prefix we do not try to derive) and globs that start with a wildcard are
 * candidates for every image.
 */
export class PatternIndex {
  private readonly byPrefix = new Map<string, number[]>();
  /** Distinct prefix lengths, longest first. */
  private readonly lengths: number[];
  private readonly always: number[] = [];

  constructor(private readonly patterns: readonly PatternEntry[]) {
    const lengths = new Set<number>();
    patterns.forEach((pattern, order) => {
      if (pattern.kind !== "glob" || pattern.prefix === "") return void this.always.push(order);
      const list = this.byPrefix.get(pattern.prefix);
      if (list) list.push(order);
      else this.byPrefix.set(pattern.prefix, [order]);
      lengths.add(pattern.prefix.length);
    });
    this.lengths = [...lengths].sort((a, b) => b - a);
  }

  get size(): number {
    return this.patterns.length;
  }

  /**
   * The first pattern, in precedence order, for which `apply` returns an output.
   * @param forms the texts a glob may match (the image as written, its normalized name)
   */
  first<T>(
    forms: readonly string[],
    apply: (p: PatternEntry) => T | undefined,
  ): [PatternEntry, T] | undefined {
    for (const order of this.candidates(forms)) {
      const pattern = this.patterns[order]!;
      const output = apply(pattern);
      if (output !== undefined) return [pattern, output];
    }
    return undefined;
  }

  private candidates(forms: readonly string[]): number[] {
    if (this.byPrefix.size === 0) return this.always;
    const found = new Set<number>(this.always);
    for (const length of this.lengths) {
      for (const form of forms) {
        if (form.length < length) continue;
        for (const order of this.byPrefix.get(form.slice(0, length)) ?? []) found.add(order);
      }
    }
    return [...found].sort((a, b) => a - b);
  }
}
