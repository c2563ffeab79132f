import { describe, expect, it } from "@jest/globals";
import { checkSelector, matchesSelector } from "./selector.js";
import type { LabelSelector } from "./types.js";

describe("matchesSelector", () => {
  const labels = { team: "shop", tier: "web" };

  it.each([
    [undefined, true],
    [{}, true],
    [{ matchLabels: { team: "shop" } }, true],
    [{ matchLabels: { team: "ops" } }, false],
    [{ matchLabels: { team: "shop", env: "prod" } }, false],
    [{ matchExpressions: [{ key: "team", operator: "In", values: ["ops", "shop"] }] }, true],
    [{ matchExpressions: [{ key: "team", operator: "NotIn", values: ["shop"] }] }, false],
    [{ matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] }, true],
    [{ matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }] }, false],
    [{ matchExpressions: [{ key: "tier", operator: "Exists" }] }, true],
    [{ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, false],
    [
      { matchLabels: { team: "shop" }, matchExpressions: [{ key: "env", operator: "Exists" }] },
      false,
    ],
  ] as Array<[LabelSelector | undefined, boolean]>)(
    "should evaluate %j to %s",
    (selector, expected) => {
      expect(matchesSelector(selector, labels)).toBe(expected);
    },
  );
});

describe("checkSelector", () => {
  it.each([
    [{ matchLabels: { a: 1 } }, "matchLabels"],
    [{ matchExpressions: {} }, "must be a list"],
    [{ matchExpressions: [{ key: "a", operator: "In" }] }, "at least one value"],
    [{ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, "takes no values"],
    [{ matchExpressions: [{ key: "a", operator: "Near" }] }, "is not In"],
    [{ matchExpressions: [{ operator: "Exists" }] }, "needs a key"],
    ["team=shop", "must be an object"],
  ])("should report %j", (selector, problem) => {
    expect(checkSelector(selector).join("; ")).toContain(problem);
  });

  it("should accept an absent or well-formed selector", () => {
    expect(checkSelector(undefined)).toEqual([]);
    expect(
      checkSelector({
        matchLabels: { a: "b" },
        matchExpressions: [{ key: "a", operator: "In", values: ["b"] }],
      }),
    ).toEqual([]);
  });
});
