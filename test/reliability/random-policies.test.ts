import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import fc from "fast-check";
import { stringify } from "yaml";
import { run as runSwapCommand } from "../../operator/cli/swap-command.js";
import type { ReadCache } from "../../operator/k8s/informer.js";
import type { ImageSwapPolicy } from "../../operator/k8s/resources.js";
import { PolicyCompiler } from "../../operator/policy/policy-compiler.js";
import { StateHolder } from "../../webhook/server/serving-state.js";
import type { PolicyReport, SwapTable } from "../../webhook/swap/index.js";
import { createSilentLogger } from "../../webhook/telemetry/logger.js";
import {
  deleteTestNamespace,
  newTestNamespace,
  testCluster,
  waitFor,
} from "../cluster/test-env.js";
import {
  condition,
  deletePolicies,
  installCrd,
  policyManifest,
  readPolicy,
  startTestOperator,
  stopAll,
  tableAnswer,
  type TestOperator,
} from "../integration/operator-support.js";
import { isFieldOf, randomPolicies, type GeneratedPolicy } from "./policy-arbitraries.js";

// Thousands of random policies, each rule valid or invalid by construction, through the three
// ways a policy reaches a table: the operator's compiler (as its informers feed it), the CLI
// (`imageswap swap --policy FILE IMAGE...`), and the real apiserver with the operator running.
// Nothing may crash; every invalid rule must be reported where it is; every valid rule served.

const SEED = Date.now() % 2 ** 31;

/** Problems of one report against what the generator built. */
function reportProblems(p: GeneratedPolicy, report: PolicyReport | undefined): string[] {
  if (!report) return [`${p.name}: no report`];
  const problems: string[] = [];
  if (report.ready !== p.ready) problems.push(`${p.name}: ready ${report.ready}, want ${p.ready}`);
  const errors = report.diagnostics.filter(d => d.severity === "error");
  for (const rule of p.rules) {
    const reported = errors.some(d => isFieldOf(d.field, rule.field));
    if (p.usable && reported !== !rule.valid)
      problems.push(`${p.name}: ${rule.field} valid=${rule.valid} but reported=${reported}`);
  }
  if (!p.usable && errors.length === 0) problems.push(`${p.name}: unusable but no error reported`);
  return problems;
}

/** Problems of a table that should serve every valid rule of `p` (defaults only when alone). */
function servingProblems(p: GeneratedPolicy, table: SwapTable, alone: boolean): string[] {
  const problems: string[] = [];
  for (const rule of p.rules) {
    if (!rule.valid || !rule.probe) continue;
    if (!alone && (rule.field === "default" || rule.field.startsWith("noSwap"))) continue;
    const { output } = table.swap(rule.probe.image);
    const ok =
      rule.probe.output !== undefined
        ? output === rule.probe.output
        : output.startsWith(rule.probe.prefix!);
    if (!ok) problems.push(`${p.name}: ${rule.field} turned ${rule.probe.image} into ${output}`);
  }
  return problems;
}

/** The ReadCache the informer offers the compiler, over a fixed list. */
function fixedCache<T extends { metadata?: { name?: string } }>(items: T[]): ReadCache<T> {
  return {
    get: name => items.find(i => i.metadata?.name === name),
    list: () => items,
    hasSynced: () => true,
  };
}

function asObject(p: GeneratedPolicy): ImageSwapPolicy {
  return JSON.parse(policyManifest(p.name, p.spec)) as ImageSwapPolicy;
}

function sink(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe("random policies", () => {
  const counts = { compiled: 0, ready: 0, cli: 0, applied: 0, refusedByApiserver: 0 };

  beforeAll(() => console.log(`random-policies seed: ${SEED}`));
  afterAll(() => console.log(`random-policies: ${JSON.stringify(counts)}`));

  it("are compiled by the operator's compiler in batches of 100: reports right, valid ones served", () => {
    // fc.check, not fc.assert: a failing batch of 100 policies is too long to print whole.
    const details = fc.check(
      fc.property(randomPolicies(100), policies => {
        const state = new StateHolder();
        const objects = policies.map(p => ({
          ...asObject(p),
          metadata: { name: p.name, generation: 1 },
        }));
        const compiler = new PolicyCompiler({
          policies: fixedCache(objects),
          namespaces: fixedCache([]),
          state,
          log: createSilentLogger(),
        });

        compiler.compile();

        const table = state.current()!.table;
        const problems = policies.flatMap(p => {
          const outcome = compiler.outcome(p.name);
          const served = outcome?.served === true;
          const found = reportProblems(p, outcome?.report);
          if (served !== p.ready) found.push(`${p.name}: served ${served}, want ${p.ready}`);
          return p.ready ? [...found, ...servingProblems(p, table, false)] : found;
        });
        counts.compiled += policies.length;
        counts.ready += policies.filter(p => p.ready).length;
        if (problems.length > 0) throw new Error(problems.slice(0, 10).join("\n"));
      }),
      { numRuns: 20, seed: SEED, endOnFailure: true },
    );

    expect(details.failed ? String(details.errorInstance).slice(0, 3000) : "passed").toBe("passed");
  });

  it("run through `imageswap swap` one file each: exit 2 naming every bad rule, else every probe answered", async () => {
    const dir = mkdtempSync(join(tmpdir(), "imageswap-policies-"));
    try {
      await fc.assert(
        fc.asyncProperty(randomPolicies(1), async ([p]) => {
          const problems = await cliProblems(dir, p!);
          counts.cli += 1;
          if (problems.length > 0) throw new Error(`${problems.join("\n")}\n${stringify(p!.spec)}`);
        }),
        { numRuns: 1000, seed: SEED },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("applied to the apiserver with the operator running", () => {
    let t: TestOperator | undefined;
    let namespace: string;
    const names: string[] = [];

    beforeAll(async () => {
      await installCrd();
      namespace = await newTestNamespace("random-policies");
      t = await startTestOperator({ namespace });
    });

    afterAll(async () => {
      await stopAll([t]);
      await deletePolicies(names);
      if (namespace) await deleteTestNamespace(namespace);
    });

    it("accepts every valid policy, marks the rest not Ready, and serves the valid ones", async () => {
      // Mostly valid rules: the CRD refuses most bad ones outright, and Ready ones must be served.
      const [policies] = fc.sample(randomPolicies(40, 95), { numRuns: 1, seed: SEED });
      const applied: GeneratedPolicy[] = [];
      for (const p of policies!) {
        const name = `${p.name}-${SEED}`;
        const result = await testCluster()
          .kubectl(["apply", "-f", "-"], { input: policyManifest(name, p.spec) })
          .then(
            () => "applied",
            (err: Error) => err.message,
          );
        if (result !== "applied") {
          // The CRD's schema and CEL rules may refuse a bad policy outright, never a good one.
          // NOTE: it also refuses a policy with nothing that swaps, which the engine accepts.
          const good = p.ready && p.swaps;
          expect(good ? `${result}\n${stringify(p.spec)}` : "refused").toBe("refused");
          counts.refusedByApiserver += 1;
          continue;
        }
        names.push(name);
        applied.push({ ...p, name });
      }
      counts.applied += applied.length;

      for (const p of applied) {
        const policy = await waitFor(
          async () => {
            const read = await readPolicy(p.name);
            return read.status?.observedGeneration === 1 ? read : undefined;
          },
          { what: `status of ${p.name}` },
        );
        expect({ name: p.name, ready: condition(policy, "Ready")?.status }).toEqual({
          name: p.name,
          ready: p.ready ? "True" : "False",
        });
      }
      for (const p of applied.filter(q => q.ready && q.spec.mode === "Enforce")) {
        const exact = p.rules.find(r => r.field.startsWith("exact") && r.probe);
        if (!exact) continue;
        // Labels that every generated selector matches ("labels" wants team=shop).
        const labels = { team: "shop" };
        const answer = () => tableAnswer(t!.operator, exact.probe!.image, labels);
        await waitFor(() => answer() === exact.probe!.output, {
          what: `${p.name} served`,
        });
      }
    });
  });
});

async function cliProblems(dir: string, p: GeneratedPolicy): Promise<string[]> {
  const file = join(dir, `${p.name}.yaml`);
  const document = {
    apiVersion: "k8s.twr.io/v1alpha1",
    kind: "ImageSwapPolicy",
    metadata: { name: p.name },
    spec: p.spec,
  };
  writeFileSync(file, stringify(document));
  const probes = p.rules.filter(r => r.valid && r.probe).map(r => r.probe!);
  const images = probes.length > 0 ? probes.map(q => q.image) : ["nginx:1"];
  const [out, err] = [sink(), sink()];

  const code = await runSwapCommand(["--policy", file, ...images], {
    stdout: out.stream,
    stderr: err.stream,
    env: {},
  });

  if (!p.ready) {
    const bad = p.usable ? p.rules.filter(r => !r.valid) : [];
    const unreported = bad.filter(
      r =>
        !err
          .text()
          .split("\n")
          .some(l => l.startsWith(`${file}:`) && l.includes(`, ${r.field}`)),
    );
    const problems = unreported.map(r => `${r.field} not reported`);
    if (code !== 2) problems.push(`exit ${code}, want 2`);
    if (!err.text().includes(file)) problems.push("stderr names no file");
    return problems;
  }
  if (code !== 0) return [`exit ${code}: ${err.text()}`];
  const lines = out.text().trimEnd().split("\n");
  return probes.flatMap((q, i) => {
    // An Audit policy is reported, never applied: the CLI prints the image unchanged.
    const want = p.spec.mode === "Audit" ? q.image : q.output;
    const line = lines[i] ?? "";
    const ok = want !== undefined ? line === want : line.startsWith(q.prefix!);
    return ok ? [] : [`${q.image} answered ${line}, want ${want ?? q.prefix}`];
  });
}
