import {
  deleteTestNamespace,
  newTestNamespace,
  testCluster,
  waitFor,
} from "../cluster/test-env.js";
import {
  NAMESPACE_LABEL,
  admittedImage,
  applyPolicy,
  condition,
  deletePolicies,
  installCrd,
  readPolicy,
  startTestOperator,
  stopAll,
  tableAnswer,
  uniqueName,
  waitForStatus,
  type TestOperator,
} from "./operator-support.js";

// Every policy here maps its own made-up registry, so that policies other suites leave behind
// (the kind is cluster-scoped) cannot change an answer.

describe("operator with ImageSwapPolicies on the real apiserver", () => {
  let t: TestOperator | undefined;
  let leaseNamespace: string;
  let appNamespace: string;
  const policies: string[] = [];

  function newPolicyName(prefix: string): string {
    const name = uniqueName(prefix);
    policies.push(name);
    return name;
  }

  beforeAll(async () => {
    await installCrd();
    leaseNamespace = await newTestNamespace("op-policies");
    appNamespace = await newTestNamespace("op-app", { [NAMESPACE_LABEL]: "enabled" });
    t = await startTestOperator({ namespace: leaseNamespace });
    await waitFor(() => t!.operator.isLeader(), { what: "leadership" });
  });

  afterAll(async () => {
    await stopAll([t]);
    await deletePolicies(policies);
    await Promise.all([leaseNamespace, appNamespace].map(ns => ns && deleteTestNamespace(ns)));
  });

  it("serves a policy applied with kubectl and marks it Ready", async () => {
    const name = newPolicyName("mirror");
    const source = `${name}.example.com`;

    await applyPolicy(name, { registries: [{ source, target: "mirror.example.com/m" }] });

    await waitFor(
      async () => (await admittedImage(t!, appNamespace, `${source}/app:1`)) !== `${source}/app:1`,
      { what: "webhook swaps the new registry" },
    );
    expect(await admittedImage(t!, appNamespace, `${source}/team/app:1`)).toBe(
      "mirror.example.com/m/team/app:1",
    );
    const policy = await waitForStatus(name, 1, "True");
    expect(policy.status?.rules).toEqual({ total: 1, accepted: 1, rejected: 0 });
    expect(condition(policy, "Ready")).toMatchObject({ reason: "Compiled" });
    expect(condition(policy, "Conflicted")).toMatchObject({ status: "False" });
  });

  it.each([
    [
      "a registry rule with both target and skip",
      { registries: [{ source: "docker.io", target: "m.example.com", skip: true }] },
      "a registry rule needs exactly one of target and skip=true",
    ],
    [
      "a registry rule with neither target nor skip",
      { registries: [{ source: "docker.io" }] },
      "a registry rule needs exactly one of target and skip=true",
    ],
    [
      "a malformed source",
      { registries: [{ source: "https://docker.io", target: "m.example.com" }] },
      "must be a registry host[:port] optionally followed by a lowercase /path",
    ],
    [
      "a pattern with both glob and regex",
      { patterns: [{ glob: "a*", regex: "^a", target: "m.example.com" }] },
      "a pattern rule needs exactly one of glob and regex",
    ],
    [
      "an empty policy",
      { noSwap: ["internal.example.com"] },
      "a policy needs at least one of registries, exact, patterns, default or mapFile",
    ],
  ])("is refused by the apiserver at apply time: %s", async (_case, spec, message) => {
    const name = newPolicyName("invalid");

    const applying = applyPolicy(name, spec);

    await expect(applying).rejects.toThrow(message);
    await expect(testCluster().kubectl(["get", "isp", name])).rejects.toThrow("NotFound");
  });

  it("marks a policy with an invalid regex not Ready while the others keep working", async () => {
    const good = newPolicyName("good");
    const bad = newPolicyName("bad");
    const goodSource = `${good}.example.com`;
    const badSource = `${bad}.example.com`;
    await applyPolicy(good, {
      registries: [{ source: goodSource, target: "mirror.example.com/g" }],
    });

    await applyPolicy(bad, {
      registries: [{ source: badSource, target: "mirror.example.com/b" }],
      patterns: [{ regex: "^(unclosed", target: "mirror.example.com/x" }],
    });

    const status = (await waitForStatus(bad, 1, "False")).status!;
    expect(status.rules).toEqual({ total: 2, accepted: 1, rejected: 1 });
    expect(status.rejectedRules).toEqual([
      expect.stringMatching(/^patterns\[0\]: regex does not compile/),
    ]);
    expect(condition({ status }, "Ready")).toMatchObject({
      reason: "RulesRejected",
      message: expect.stringContaining("not served"),
    });
    await waitForStatus(good, 1, "True");
    expect(await admittedImage(t!, appNamespace, `${goodSource}/app:1`)).toBe(
      "mirror.example.com/g/app:1",
    );
    expect(await admittedImage(t!, appNamespace, `${badSource}/app:1`)).toBe(`${badSource}/app:1`);
  });

  it("changes the answer when a policy is updated", async () => {
    const name = newPolicyName("update");
    const source = `${name}.example.com`;
    await applyPolicy(name, { registries: [{ source, target: "first.example.com/m" }] });
    await waitFor(
      () => tableAnswer(t!.operator, `${source}/app:1`) === "first.example.com/m/app:1",
    );

    await applyPolicy(name, { registries: [{ source, target: "second.example.com/m" }] });

    await waitFor(
      async () =>
        (await admittedImage(t!, appNamespace, `${source}/app:1`)) === "second.example.com/m/app:1",
      { what: "webhook answers with the updated target" },
    );
    await waitForStatus(name, 2, "True");
  });

  it("keeps serving the last good generation when an update is rejected", async () => {
    const name = newPolicyName("lastgood");
    const source = `${name}.example.com`;
    await applyPolicy(name, { registries: [{ source, target: "good.example.com/m" }] });
    await waitForStatus(name, 1, "True");

    await applyPolicy(name, {
      registries: [{ source, target: "broken.example.com/m" }],
      patterns: [{ regex: "(", target: "x.example.com" }],
    });

    const policy = await waitForStatus(name, 2, "False");
    expect(condition(policy, "Ready")?.message).toContain("serving generation 1 until fixed");
    expect(await admittedImage(t!, appNamespace, `${source}/app:1`)).toBe(
      "good.example.com/m/app:1",
    );

    await applyPolicy(name, { registries: [{ source, target: "fixed.example.com/m" }] });

    await waitForStatus(name, 3, "True");
    expect(await admittedImage(t!, appNamespace, `${source}/app:1`)).toBe(
      "fixed.example.com/m/app:1",
    );
    expect((await readPolicy(name)).status?.rejectedRules).toBeUndefined();
  });

  it("stops swapping in a namespace as soon as its label is removed", async () => {
    const name = newPolicyName("nslabel");
    const source = `${name}.example.com`;
    const namespace = await newTestNamespace("op-label", { [NAMESPACE_LABEL]: "enabled" });
    await applyPolicy(name, { registries: [{ source, target: "mirror.example.com/n" }] });
    await waitFor(
      async () => (await admittedImage(t!, namespace, `${source}/app:1`)) !== `${source}/app:1`,
    );

    await testCluster().kubectl(["label", "namespace", namespace, `${NAMESPACE_LABEL}-`]);

    await waitFor(
      async () => (await admittedImage(t!, namespace, `${source}/app:1`)) === `${source}/app:1`,
      { what: "no swap once the label is gone" },
    );
    await deleteTestNamespace(namespace);
  });

  it("reports a key that a higher-priority policy serves as Conflicted", async () => {
    const high = newPolicyName("high");
    const low = newPolicyName("low");
    const source = `${high}.example.com`;
    await applyPolicy(high, {
      priority: 10,
      registries: [{ source, target: "high.example.com/m" }],
    });

    await applyPolicy(low, { registries: [{ source, target: "low.example.com/m" }] });

    const policy = await waitFor(async () => {
      const p = await readPolicy(low);
      return condition(p, "Conflicted")?.status === "True" ? p : undefined;
    });
    expect(condition(policy, "Conflicted")?.message).toContain(`(by ${high})`);
    expect(condition(policy, "Ready")?.status).toBe("True");
    expect(await admittedImage(t!, appNamespace, `${source}/app:1`)).toBe(
      "high.example.com/m/app:1",
    );
  });
});
