import { flatten, formatReference, parseReference } from "./reference.js";
import type { Cover } from "./program.js";
import { parsePrefix, type Checked } from "./target.js";

/**
 * Regex rule targets: the whole new image, with `$1`..`$9`, `$<name>`, `$&` (the whole match)
 * and `$$` (a dollar) expanded from the match. The literal text before the first reference must
 * end in a path (`harbor.example.com/quay/$1`): images under that prefix count as already
 * swapped, which is what keeps regex rules idempotent.
 */

const REFERENCE = /\$(\$|&|[1-9]|<([^>]*)>)/g;

/** Checks a template against its regex; returns where its images land. */
export function compileTemplate(re: RegExp, template: string): Checked<Cover> {
  // Matching the empty alternative reveals the group count and names without a real subject.
  const probe = new RegExp(`${re.source}|`).exec("");
  const groups = probe ? probe.length - 1 : 0;
  const names = new Set(Object.keys(probe?.groups ?? {}));
  for (const m of template.matchAll(REFERENCE)) {
    const token = m[1] as string;
    if (/^[1-9]$/.test(token) && Number(token) > groups) {
      return { problem: `target uses $${token} but the regex has ${groups} capture groups` };
    }
    if (m[2] !== undefined && !names.has(m[2])) {
      return { problem: `target uses $<${m[2]}> but the regex has no such named group` };
    }
  }
  const dollar = template.search(/\$[$&1-9<]/);
  if (dollar < 0) return constantCover(template);
  const literal = template.slice(0, dollar);
  const slash = literal.lastIndexOf("/");
  if (slash <= 0) {
    return {
      problem: `target "${template}" must start with a literal prefix such as "harbor.example.com/$1"`,
    };
  }
  const prefix = parsePrefix(literal.slice(0, slash), false);
  if (prefix.problem !== undefined) return { problem: `target ${prefix.problem}` };
  return { value: { kind: "prefix", prefix: prefix.value } };
}

function constantCover(template: string): Checked<Cover> {
  const parsed = parseReference(template);
  if (!parsed.ok) return { problem: `target "${template}": ${parsed.error}` };
  return { value: { kind: "exact", key: flatten(formatReference(parsed.ref)) } };
}

/** Expands a template with a match; unmatched optional groups expand to nothing. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  return template.replace(REFERENCE, (_all, token: string, name: string | undefined) => {
    if (token === "$") return "$";
    if (token === "&") return match[0];
    if (name !== undefined) return match.groups?.[name] ?? "";
    return match[Number(token)] ?? "";
  });
}
