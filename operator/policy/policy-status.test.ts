import type { PolicyReport } from "../../webhook/swap/types.js";
import type { ImageSwapPolicyStatus } from "../k8s/resources.js";
import type { PolicyOutcome } from "./policy-compiler.js";
import { desiredStatus, formatTime, isStatusCurrent } from "./policy-status.js";

const T0 = new Date("2026-12-03T10:00:00.123Z");
const T1 = new Date("2026-12-03T11:00:00.000Z");

function report(overrides: Partial<PolicyReport> = {}): PolicyReport {
  return {
    name: "p",
    generation: 2,
    total: 3,
    accepted: 3,
    rejected: 0,
    diagnostics: [],
    ready: true,
    message: "3 rules",
    ...overrides,
  };
}

function outcome(overrides: Partial<PolicyOutcome> = {}): PolicyOutcome {
  return { report: report(), served: true, servedGeneration: 2, lostKeys: [], ...overrides };
}

const badReport = report({
  accepted: 2,
  rejected: 1,
  ready: false,
  message: "1 of 3 rules rejected",
  diagnostics: [
    { policy: "p", field: "patterns[0].regex", message: "invalid regex", severity: "error" },
    { policy: "p", field: "noSwap[0]", message: "duplicate", severity: "warning" },
  ],
});

describe("desiredStatus", () => {
  it("reports a clean compile as Ready and not Conflicted", () => {
    const status = desiredStatus(outcome(), undefined, T0);

    expect(status).toEqual({
      observedGeneration: 2,
      rules: { total: 3, accepted: 3, rejected: 0 },
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "Compiled",
          message: "3 rules",
          observedGeneration: 2,
          lastTransitionTime: "2026-12-03T10:00:00Z",
        },
        {
          type: "Conflicted",
          status: "False",
          reason: "NoConflict",
          message: "no key is served by another policy",
          observedGeneration: 2,
          lastTransitionTime: "2026-12-03T10:00:00Z",
        },
      ],
    });
  });

  it("names each rejected rule and the generation still served", () => {
    const status = desiredStatus(
      outcome({ report: badReport, servedGeneration: 1 }),
      undefined,
      T0,
    );

    expect(status.rejectedRules).toEqual(["patterns[0].regex: invalid regex"]);
    expect(status.conditions?.[0]).toMatchObject({
      status: "False",
      reason: "RulesRejected",
      message: "1 of 3 rules rejected; serving generation 1 until fixed",
    });
  });

  it("says a never-good policy is not served", () => {
    const status = desiredStatus(outcome({ report: badReport, served: false }), undefined, T0);

    expect(status.conditions?.[0]?.message).toBe("1 of 3 rules rejected; not served");
  });

  it("lists lost keys with their winners, bounded", () => {
    const lostKeys = Array.from({ length: 7 }, (_, i) => ({
      key: `docker.io/app${i}`,
      winner: "other",
      loser: "p",
    }));

    const conflicted = desiredStatus(outcome({ lostKeys }), undefined, T0).conditions?.[1];

    expect(conflicted).toMatchObject({ status: "True", reason: "KeysServedByOtherPolicy" });
    expect(conflicted?.message).toBe(
      "7 keys served by another policy: docker.io/app0 (by other), docker.io/app1 (by other), " +
        "docker.io/app2 (by other), docker.io/app3 (by other), docker.io/app4 (by other) and 2 more",
    );
  });

  it("keeps lastTransitionTime while a condition's status holds and moves it on a change", () => {
    const before = desiredStatus(outcome(), undefined, T0);

    const same = desiredStatus(outcome({ report: report({ message: "4 rules" }) }), before, T1);
    const flipped = desiredStatus(outcome({ report: badReport }), before, T1);

    expect(same.conditions?.[0]?.lastTransitionTime).toBe(formatTime(T0));
    expect(flipped.conditions?.[0]?.lastTransitionTime).toBe(formatTime(T1));
    expect(flipped.conditions?.[1]?.lastTransitionTime).toBe(formatTime(T0));
  });
});

describe("isStatusCurrent", () => {
  it("sees no change when the apiserver returns the same status with keys reordered", () => {
    const desired = desiredStatus(outcome(), undefined, T0);
    const stored = JSON.parse(
      JSON.stringify({ ...desired, rules: { accepted: 3, rejected: 0, total: 3 } }),
    ) as ImageSwapPolicyStatus;

    expect(isStatusCurrent(stored, desiredStatus(outcome(), stored, T1))).toBe(true);
  });

  it("sees a change in counts, messages or generation", () => {
    const stored = desiredStatus(outcome(), undefined, T0);

    const next = desiredStatus(outcome({ report: report({ generation: 3 }) }), stored, T1);

    expect(isStatusCurrent(stored, next)).toBe(false);
    expect(isStatusCurrent(undefined, next)).toBe(false);
  });
});
