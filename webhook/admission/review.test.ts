import { BadRequestError } from "../errors.js";
import { allowResponse, decodeReview, encodeReview, findUid, rejectResponse } from "./review.js";

const valid = () => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: "u-1",
    kind: { group: "", version: "v1", kind: "Pod" },
    operation: "CREATE",
    namespace: "shop",
    object: { metadata: { name: "p" } },
    dryRun: true,
  },
});

describe("decodeReview", () => {
  it("reads a v1 review", () => {
    const { apiVersion, request } = decodeReview(valid());

    expect(apiVersion).toBe("admission.k8s.io/v1");
    expect(request).toMatchObject({ uid: "u-1", operation: "CREATE", namespace: "shop" });
    expect(request.kind).toEqual({ group: "", version: "v1", kind: "Pod" });
    expect(request.dryRun).toBe(true);
  });

  it("accepts v1beta1 and reports it so the answer can echo it", () => {
    const body = { ...valid(), apiVersion: "admission.k8s.io/v1beta1" };

    expect(decodeReview(body).apiVersion).toBe("admission.k8s.io/v1beta1");
  });

  it.each([
    ["a string", "hello"],
    ["an array", []],
    ["null", null],
    ["another kind", { ...valid(), kind: "Pod" }],
    ["an unknown version", { ...valid(), apiVersion: "admission.k8s.io/v2" }],
    ["no request", { ...valid(), request: undefined }],
    ["no uid", { ...valid(), request: { ...valid().request, uid: undefined } }],
    ["an empty uid", { ...valid(), request: { ...valid().request, uid: "" } }],
    ["no kind", { ...valid(), request: { ...valid().request, kind: undefined } }],
    ["an unknown operation", { ...valid(), request: { ...valid().request, operation: "PATCH" } }],
  ])("rejects %s with a BadRequestError", (_name, body) => {
    expect(() => decodeReview(body)).toThrow(BadRequestError);
  });
});

describe("findUid", () => {
  it("finds the uid of a review that fails the shape check", () => {
    expect(findUid({ request: { uid: "u-2" } })).toBe("u-2");
    expect(findUid({ request: { uid: 5 } })).toBe("");
    expect(findUid("x")).toBe("");
  });
});

describe("responses", () => {
  it("omits patch and warnings when there are none", () => {
    expect(allowResponse("u", [], [])).toEqual({ uid: "u", allowed: true });
  });

  it("base64-encodes the patch and names its type", () => {
    const patch = [{ op: "replace" as const, path: "/spec/containers/0/image", value: "b" }];

    const response = allowResponse("u", patch, ["a -> b"]);

    expect(response.patchType).toBe("JSONPatch");
    expect(JSON.parse(Buffer.from(response.patch!, "base64").toString())).toEqual(patch);
    expect(response.warnings).toEqual(["a -> b"]);
  });

  it("wraps a response in an AdmissionReview of the given version", () => {
    const text = encodeReview("admission.k8s.io/v1", rejectResponse("u", 400, "bad"));

    expect(JSON.parse(text)).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "u", allowed: false, status: { code: 400, message: "bad" } },
    });
  });
});
