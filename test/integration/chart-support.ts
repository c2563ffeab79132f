import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import { findRepoRoot, resolveBinDir } from "../cluster/bins.js";

/** Helpers for the chart suites: run the built `helm` and read its output as objects. */

const run = promisify(execFile);

export const REPO_ROOT = findRepoRoot();
export const CHART_DIR = join(REPO_ROOT, "charts", "imageswap");
export const RELEASE = "imageswap";
export const RELEASE_NAMESPACE = "imageswap-system";

/** A Kubernetes object as parsed from YAML: only the fields every object has are typed. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

let binDir: Promise<string> | undefined;

/** Runs a built tool (helm, kubectl) and resolves to stdout; rejects with its stderr. */
export async function tool(name: "helm" | "kubectl", args: string[]): Promise<string> {
  // Blocks on the control-plane build the first time (a no-op once it is cached).
  binDir ??= resolveBinDir();
  const binary = join(await binDir, name);
  try {
    const { stdout } = await run(binary, args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`${name} ${args.join(" ")} failed: ${stderr.trim()}`, { cause: err });
  }
}

/** `helm` without a cluster: lint and template. */
export function helm(args: string[]): Promise<string> {
  return tool("helm", args);
}

/** Writes `values` to a temporary file and returns helm's `-f` arguments plus a cleanup. */
export function valuesArgs(values: Record<string, unknown>): { args: string[]; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), "imageswap-values-"));
  const file = join(dir, "values.yaml");
  writeFileSync(file, stringify(values));
  return { args: ["-f", file], done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `helm template` of the chart with `values` over the defaults, parsed into objects. */
export async function renderChart(values: Record<string, unknown> = {}): Promise<Manifest[]> {
  const extra = valuesArgs(values);
  try {
    const out = await helm([
      "template",
      RELEASE,
      CHART_DIR,
      "--namespace",
      RELEASE_NAMESPACE,
      "--include-crds",
      ...extra.args,
    ]);
    return parseManifests(out);
  } finally {
    extra.done();
  }
}

/** Parses a multi-document YAML stream, dropping empty documents. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map(doc => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null && typeof doc === "object");
}

/** The one object of `kind` (and `name`, when given); throws when there is not exactly one. */
export function findOne(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter(
    m => m.kind === kind && (name === undefined || m.metadata.name === name),
  );
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  }
  return found[0]!;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

export interface ContainerSpec {
  name: string;
  image: string;
  args?: string[];
  env: EnvVar[];
  ports: Array<{ name: string; containerPort: number }>;
  readinessProbe: { httpGet: { path: string; port: string; scheme: string } };
  livenessProbe: { httpGet: { path: string; port: string; scheme: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: Record<string, unknown>;
}

/** The imageswap container of the rendered Deployment. */
export function operatorContainer(manifests: Manifest[]): ContainerSpec {
  const deployment = findOne(manifests, "Deployment") as unknown as {
    spec: { template: { spec: { containers: ContainerSpec[] } } };
  };
  return deployment.spec.template.spec.containers.find(c => c.name === "imageswap")!;
}

/** The container's literal environment variables as a map (fieldRef values are omitted). */
export function literalEnv(container: ContainerSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of container.env) {
    if (entry.value !== undefined) out[entry.name] = entry.value;
  }
  return out;
}
