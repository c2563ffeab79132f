/** The demo's result table: one row per container of each Pod, original and stored image. */

export interface PodView {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { containers: Array<{ name: string; image: string }> };
}

export interface ImageRow {
  pod: string;
  container: string;
  original: string;
  swapped: string;
}

/** `requested` holds the images the Deployment asked for, by container name. */
export function imageRows(
  pods: readonly PodView[],
  requested: ReadonlyArray<{ name: string; image: string }>,
): ImageRow[] {
  const asked = new Map(requested.map(c => [c.name, c.image]));
  return pods.flatMap(pod =>
    pod.spec.containers.map(c => ({
      pod: pod.metadata.name,
      container: c.name,
      original: asked.get(c.name) ?? "?",
      swapped: c.image === asked.get(c.name) ? `${c.image} (unchanged)` : c.image,
    })),
  );
}

/** Left-aligned columns, two spaces apart, under an upper-case header. */
export function formatTable(rows: readonly ImageRow[]): string {
  const header: ImageRow = {
    pod: "POD",
    container: "CONTAINER",
    original: "ORIGINAL",
    swapped: "SWAPPED",
  };
  const all = [header, ...rows];
  const keys = ["pod", "container", "original", "swapped"] as const;
  const widths = keys.map(k => Math.max(...all.map(r => r[k].length)));
  const line = (r: ImageRow): string =>
    keys.map((k, i) => (i === keys.length - 1 ? r[k] : r[k].padEnd(widths[i]!))).join("  ");
  return `${all.map(line).join("\n")}\n`;
}
