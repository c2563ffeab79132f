/**
 * Swap engine benchmark: nanoseconds per image for tables of 10, 1,000 and 100,000 registry and
 * exact rules and for 1,000 globs, beside two baselines measured in the same run: a plain Map
 * lookup of the image string and `parseReference` alone (the floor every decision pays).
 *
 * Run: `npm run bench:swap` (builds, then runs dist/test/bench/swap.bench.js). No assertions:
 * the numbers are read against the baselines of the same run, never against fixed times.
 */
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { compile, parseReference, type PolicyInput } from "../../webhook/swap/index.js";

export interface BenchTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  /** Derived figures and how to read them, one sentence each. */
  notes: string[];
}

const IMAGES_PER_CASE = 1000;
const MIN_SAMPLE_NS = 150_000_000n;
const SAMPLES = 5;

/** Half registry rules, half exact rules, plus a default. */
function rulesPolicy(count: number): PolicyInput {
  const half = Math.max(1, Math.floor(count / 2));
  const registries = Array.from({ length: half }, (_, j) => ({
    source: `reg${j}.example.com`,
    target: `m.example.com/reg${j}`,
  }));
  const exact = Array.from({ length: count - half }, (_, j) => ({
    source: `ghcr.io/team${j}/app:1`,
    target: `m.example.com/pinned/team${j}/app:1`,
  }));
  return { name: "bench", spec: { default: "m.example.com/proxy", registries, exact } };
}

/** A quarter each: exact hit, registry hit, default, already swapped; hits spread over the table. */
function rulesImages(count: number): string[] {
  const half = Math.max(1, Math.floor(count / 2));
  const exactCount = Math.max(1, count - half);
  return Array.from({ length: IMAGES_PER_CASE }, (_, i) => {
    const j = (i * 7919) % half;
    switch (i % 4) {
      case 0:
        return `ghcr.io/team${(i * 7919) % exactCount}/app:1`;
      case 1:
        return `reg${j}.example.com/org/app:2`;
      case 2:
        return `quay.io/org${i}/app:3`;
      default:
        return `m.example.com/reg${j}/org/app:2`;
    }
  });
}

function globPolicy(count: number): PolicyInput {
  const patterns = Array.from({ length: count }, (_, k) => ({
    glob: `ghcr.io/g${k}-*`,
    target: `m.example.com/g${k}`,
  }));
  return { name: "globs", spec: { default: "m.example.com/proxy", patterns } };
}

/** Half match a glob spread over the list, half match none and scan all of them. */
function globImages(count: number): string[] {
  return Array.from({ length: IMAGES_PER_CASE }, (_, i) =>
    i % 2 === 0 ? `ghcr.io/g${(i * 7919) % count}-tool/app:1` : `quay.io/org${i}/app:1`,
  );
}

// A full collection before each sample, so that no case pays for garbage another one left.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

interface BenchCase {
  images: readonly string[];
  fn: (image: string) => unknown;
}

/** ns per call of one sample: repeats the images until the sample lasts long enough. */
function sample({ images, fn }: BenchCase): number {
  collectGarbage();
  let calls = 0;
  let elapsed = 0n;
  const start = process.hrtime.bigint();
  while (elapsed < MIN_SAMPLE_NS) {
    for (const image of images) fn(image);
    calls += images.length;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / calls;
}

/**
 * Median ns per call of each case. Samples are taken round-robin across the cases, so that a
 * busy machine slows every case alike and the ratios between them stay meaningful.
 */
function measureAll(cases: readonly BenchCase[]): number[] {
  for (const c of cases) c.images.forEach(image => c.fn(image));
  const samples: number[][] = cases.map(() => []);
  for (let s = 0; s < SAMPLES; s++) cases.forEach((c, i) => samples[i]?.push(sample(c)));
  return samples.map(list => list.sort((a, b) => a - b)[Math.floor(SAMPLES / 2)] as number);
}

function timeMs(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A plain Map of `count` keys, looked up with fresh strings as the engine's probes are. */
function mapCase(count: number): BenchCase {
  const keys = Array.from({ length: count }, (_, j) => `reg${j}.example.com/org/app`);
  const lookup = new Map(keys.map((key, j) => [key, j]));
  const images = Array.from({ length: IMAGES_PER_CASE }, (_, i) => `/${keys[(i * 7919) % count]}`);
  return { images, fn: image => lookup.get(image.slice(1)) };
}

interface Row extends BenchCase {
  label: string;
  size: number;
  compileMs?: number;
}

// TODO(#3): on the shared 2-core machine the 100,000-rule figure ran 2.4-3.5x the 10-rule one
// while a bare Map.get hit ran 1.8-4.9x slower in a 100,000-entry Map: the probes are constant in
// number but miss the cache. Re-measure on a quiet machine; flatter rule slots (fewer objects per
// hit) would cut the misses further.

/** A swap case: compiles `policy` (timed) and swaps `images` with the table. */
function swapRow(label: string, size: number, policy: PolicyInput, images: string[]): Row {
  let table = compile([], 0).table;
  const compileMs = timeMs(() => void (table = compile([policy], 1).table));
  return { label, size, compileMs, images, fn: image => table.swap(image) };
}

/** Images no rule of `rulesPolicy` matches: they fall through every lookup to the default. */
function missImages(): string[] {
  return Array.from({ length: IMAGES_PER_CASE }, (_, i) => `quay.io/org${i}/app:3`);
}

export async function runSwapBench(): Promise<BenchTable> {
  const parse = (image: string): unknown => parseReference(image);
  const rows: Row[] = [
    { label: "baseline: Map.get", size: 10, ...mapCase(10) },
    { label: "baseline: Map.get", size: 100_000, ...mapCase(100_000) },
    { label: "baseline: parseReference only", size: 0, images: rulesImages(10), fn: parse },
    ...[10, 1_000, 100_000].map(n =>
      swapRow("registry + exact rules", n, rulesPolicy(n), rulesImages(n)),
    ),
    swapRow("registry + exact rules, no rule matches", 10, rulesPolicy(10), missImages()),
    swapRow("registry + exact rules, no rule matches", 100_000, rulesPolicy(100_000), missImages()),
    swapRow("globs", 1_000, globPolicy(1_000), globImages(1_000)),
  ];

  const ns = measureAll(rows);
  const base = ns[0] ?? 1;
  const nsOf = (label: string, size: number): number =>
    ns[rows.findIndex(r => r.label === label && r.size === size)] ?? 0;
  const ratio = (label: string): number => round(nsOf(label, 100_000) / nsOf(label, 10), 2);
  return {
    title: "Swap engine: ns per image",
    columns: ["case", "rules or entries", "ns/image", "x Map.get (10)", "compile ms"],
    rows: rows.map((r, i) => [
      r.label,
      r.size,
      round(ns[i] ?? 0),
      round((ns[i] ?? 0) / base, 1),
      r.compileMs === undefined ? "-" : round(r.compileMs, 1),
    ]),
    notes: [
      `100,000 rules cost ${ratio("registry + exact rules")}x the 10-rule figure per image (target: within 1.5x); ${ratio("registry + exact rules, no rule matches")}x for images no rule matches.`,
      `For scale: one Map.get hit costs ${ratio("baseline: Map.get")}x as much in a 100,000-entry Map as in a 10-entry one, on this machine in this run (cache misses).`,
      "Images: a quarter each exact hit, registry hit, default, already swapped; hits spread over the table.",
      "Globs are tried in order: an image no glob matches pays for all of them (half the glob images here).",
      `Median of ${SAMPLES} samples of at least ${Number(MIN_SAMPLE_NS) / 1e6} ms per case, taken round-robin; Node ${process.version}.`,
    ],
  };
}

export function toMarkdown(table: BenchTable): string {
  const lines = [`### ${table.title}`, "", `| ${table.columns.join(" | ")} |`];
  lines.push(`|${table.columns.map(() => "---").join("|")}|`);
  for (const row of table.rows) lines.push(`| ${row.map(String).join(" | ")} |`);
  lines.push("", ...table.notes.map(n => `- ${n}`));
  return lines.join("\n") + "\n";
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(toMarkdown(await runSwapBench()));
}
