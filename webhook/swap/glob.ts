/**
 * Shell-style wildcards with the semantics of Python's `fnmatch`, which the predecessor's
 * `[REPLACE]` rules used: `*` matches any run of characters (slashes included), `?` one
 * character, `[abc]` / `[a-z]` a set, `[!abc]` its complement; an unclosed `[` is literal.
 * Matching is case-sensitive and anchored at both ends.
 */

const REGEX_SPECIALS = /[\\^$.*+?()[\]{}|/-]/g;

function escapeLiteral(text: string): string {
  return text.replace(REGEX_SPECIALS, "\\$&");
}

/** Translates a `[...]` set starting at `open`; returns the regex source and the next index. */
function translateSet(glob: string, open: number): { source: string; next: number } | undefined {
  let i = open + 1;
  if (glob[i] === "!") i++;
  // A `]` right after `[` or `[!` belongs to the set, as in fnmatch.
  if (glob[i] === "]") i++;
  const close = glob.indexOf("]", i);
  if (close < 0) return undefined;
  let body = glob.slice(open + 1, close);
  const negate = body.startsWith("!");
  if (negate) body = body.slice(1);
  const escaped = body.replace(/[\\^\]]/g, "\\$&");
  return { source: `[${negate ? "^" : ""}${escaped}]`, next: close + 1 };
}

/** Compiles a glob into an anchored RegExp; never throws. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  let i = 0;
  while (i < glob.length) {
    const c = glob.charAt(i);
    if (c === "*") {
      source += ".*";
      i++;
    } else if (c === "?") {
      source += ".";
      i++;
    } else if (c === "[") {
      const set = translateSet(glob, i);
      source += set ? set.source : "\\[";
      i = set ? set.next : i + 1;
    } else {
      source += escapeLiteral(c);
      i++;
    }
  }
  return new RegExp(`^${source}$`, "s");
}

/** True when the glob has any wildcard character. */
export function hasWildcard(text: string): boolean {
  return /[*?[]/.test(text);
}

/**
 * The literal text before the first wildcard. A glob is anchored at the start, so an image it
 * matches begins with this prefix; `[` counts as a wildcard even when unclosed (a shorter prefix
 * only admits more candidates, never fewer).
 */
export function literalPrefix(glob: string): string {
  const at = glob.search(/[*?[]/);
  return at < 0 ? glob : glob.slice(0, at);
}
