import { objectKey, splitKey } from "./object-key.js";

describe("objectKey and splitKey", () => {
  it.each([
    [{ metadata: { name: "a", namespace: "ns" } }, "ns/a", { namespace: "ns", name: "a" }],
    [{ metadata: { name: "cluster-wide" } }, "cluster-wide", { name: "cluster-wide" }],
  ])("round-trips %j", (obj, key, parts) => {
    expect(objectKey(obj)).toBe(key);
    expect(splitKey(key)).toEqual(parts);
  });
});
