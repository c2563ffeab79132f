import { escapePointerToken, pointer } from "./json-pointer.js";

describe("json pointer", () => {
  it.each([
    ["plain", "plain"],
    ["a/b", "a~1b"],
    ["a~b", "a~0b"],
    ["~1", "~01"],
    ["k8s.twr.io/imageswap-original-images", "k8s.twr.io~1imageswap-original-images"],
    ["", ""],
  ])("escapes %j as %j", (token, escaped) => {
    expect(escapePointerToken(token)).toBe(escaped);
  });

  it("joins tokens, numbers included, with a leading slash each", () => {
    expect(pointer(["spec", "containers", 0, "image"])).toBe("/spec/containers/0/image");
    expect(pointer(["metadata", "annotations", "a/b~c"])).toBe("/metadata/annotations/a~1b~0c");
  });

  it("gives the whole-document pointer for no tokens", () => {
    expect(pointer([])).toBe("");
  });
});
