/**
 * JSON Pointer (RFC 6901) construction. `~` must be escaped before `/`, or a `/` turned into
 * `~1` would have its `~` escaped a second time.
 */
export function escapePointerToken(token: string): string {
  if (!token.includes("~") && !token.includes("/")) return token;
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Joins tokens into a pointer: `pointer(["metadata", "annotations", "a/b"])` is `/metadata/annotations/a~1b`. */
export function pointer(tokens: ReadonlyArray<string | number>): string {
  return tokens.map(t => "/" + escapePointerToken(String(t))).join("");
}
