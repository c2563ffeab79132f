import { LineCounter, isNode, isScalar, parseAllDocuments, type Document } from "yaml";
import type { ImageSwapPolicySpec, PolicyInput } from "./types.js";

/**
 * ImageSwapPolicy documents from YAML text (the `--policy` files of `imageswap swap` and the
 * standalone webhook). Parsing only: the caller reads the file. Every problem names file and line.
 */

export const API_VERSION = "k8s.twr.io/v1alpha1";
export const KIND = "ImageSwapPolicy";

/** A problem located in a source file, e.g. `policies.yaml:12`. */
export interface SourceDiagnostic {
  file: string;
  line: number;
  severity: "error" | "warning";
  message: string;
}

export interface PolicyDocuments {
  inputs: PolicyInput[];
  /** Documents that are not usable ImageSwapPolicies; each names file and line. */
  diagnostics: SourceDiagnostic[];
  /**
   * The line of a compile diagnostic's `field` (`registries[2]`, `mapFile:3`, `mode`) in the named
   * policy, or that policy's first line when the field is not found; undefined for other names.
   */
  lineOf(policy: string, field: string): number | undefined;
}

/** `registries[2]` → `["spec", "registries", 2]`. */
function pathOf(field: string): Array<string | number> {
  const path: Array<string | number> = ["spec"];
  for (const part of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    path.push(part[2] !== undefined ? Number(part[2]) : (part[1] as string));
  }
  return path;
}

function locator(doc: Document, lines: LineCounter, startLine: number): (field: string) => number {
  return (field: string): number => {
    if (field === "") return startLine;
    const [base = field, mapLine] = field.split(":");
    const node = doc.getIn(pathOf(base), true);
    if (!isNode(node) || !node.range) return startLine;
    const line = lines.linePos(node.range[0]).line;
    if (mapLine === undefined) return line;
    // A block scalar's range starts at its `|` or `>` indicator; its text starts a line below.
    const block = isScalar(node) && (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED");
    return line + Number(mapLine) - (block ? 0 : 1);
  };
}

function checkShape(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "document is not a mapping";
  }
  const { apiVersion, kind, metadata, spec } = value as Record<string, unknown>;
  if (kind === undefined) return `kind is missing, expected ${KIND}`;
  if (kind !== KIND) return `kind is "${String(kind)}", expected ${KIND}`;
  if (apiVersion !== API_VERSION)
    return `apiVersion is "${String(apiVersion)}", expected ${API_VERSION}`;
  const name = (metadata as Record<string, unknown> | undefined)?.name;
  if (typeof name !== "string" || name === "") return "metadata.name is missing";
  if (spec !== undefined && (typeof spec !== "object" || spec === null || Array.isArray(spec))) {
    return "spec is not a mapping";
  }
  return undefined;
}

type Locate = (field: string) => number;

/** One parsed document: a policy with its locator, a problem at a line, or nothing (empty). */
function readDocument(
  doc: Document,
  lines: LineCounter,
): { input: PolicyInput; locate: Locate } | { problems: Array<[number, string]> } | undefined {
  if (doc.errors.length > 0) {
    const first = (message: string): string => message.split("\n")[0] as string;
    return {
      problems: doc.errors.map(e => [
        e.linePos?.[0].line ?? 1,
        `invalid YAML: ${first(e.message)}`,
      ]),
    };
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return undefined;
  const startLine = lines.linePos(doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0).line;
  const problem = checkShape(value);
  if (problem !== undefined) return { problems: [[startLine, problem]] };
  const { metadata, spec } = value as {
    metadata: Record<string, unknown>;
    spec?: ImageSwapPolicySpec;
  };
  const input: PolicyInput = { name: metadata.name as string, spec: spec ?? {} };
  if (Number.isInteger(metadata.generation)) input.generation = metadata.generation as number;
  return { input, locate: locator(doc, lines, startLine) };
}

/** Parses YAML with one or more ImageSwapPolicy documents; never throws. */
export function loadPolicyDocuments(yamlText: string, fileName: string): PolicyDocuments {
  const lines = new LineCounter();
  const inputs: PolicyInput[] = [];
  const diagnostics: SourceDiagnostic[] = [];
  const locators = new Map<string, Locate>();
  const fail = (line: number, message: string): void => {
    diagnostics.push({ file: fileName, line, severity: "error", message });
  };
  for (const doc of parseAllDocuments(yamlText, { lineCounter: lines })) {
    const read = readDocument(doc, lines);
    if (read === undefined) continue;
    if ("problems" in read) {
      for (const [line, message] of read.problems) fail(line, message);
    } else if (locators.has(read.input.name)) {
      fail(read.locate(""), `policy "${read.input.name}" appears twice`);
    } else {
      locators.set(read.input.name, read.locate);
      inputs.push(read.input);
    }
  }
  if (inputs.length === 0 && diagnostics.length === 0) fail(1, `no ${KIND} document found`);
  return { inputs, diagnostics, lineOf: (policy, field) => locators.get(policy)?.(field) };
}
