import { ApiException } from "@kubernetes/client-node";
import {
  ConflictError,
  NotFoundError,
  RetryableError,
  TerminalError,
} from "../../webhook/errors.js";
import { isConflict, isNotFound, toImageSwapError } from "./api-errors.js";

function apiException(code: number, body: unknown): ApiException<unknown> {
  return new ApiException(code, "Unknown API Status Code!", body, {
    authorization: "Bearer secret-token",
  });
}

describe("toImageSwapError", () => {
  it.each([
    [404, NotFoundError],
    [409, ConflictError],
    [400, TerminalError],
    [403, TerminalError],
    [422, TerminalError],
    [410, RetryableError],
    [429, RetryableError],
    [500, RetryableError],
    [503, RetryableError],
  ])("maps http %i to %p", (code, type) => {
    const err = toImageSwapError(apiException(code, ""), "read lease");

    expect(err).toBeInstanceOf(type);
    expect(err.message).toContain(`read lease failed with http ${code}`);
  });

  it("keeps the Status reason and message but never the headers", () => {
    const body = JSON.stringify({
      kind: "Status",
      reason: "Invalid",
      message: 'ImageSwapPolicy "a" is invalid: spec.registries[0]: rule needs target or skip',
    });

    const err = toImageSwapError(apiException(422, body), "apply policy");

    expect(err.message).toBe(
      'apply policy failed with http 422: Invalid: ImageSwapPolicy "a" is invalid: spec.registries[0]: rule needs target or skip',
    );
    expect(err.message).not.toContain("secret-token");
    expect(err.cause).toBeUndefined();
  });

  it("bounds a long Status message", () => {
    const body = { reason: "Invalid", message: "x".repeat(5000) };

    const err = toImageSwapError(apiException(422, body), "apply");

    expect(err.message.length).toBeLessThan(300);
  });

  it("treats an error without status as an unreachable apiserver", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), {
      code: "ECONNREFUSED",
    });

    const err = toImageSwapError(refused, "list namespaces");

    expect(err).toBeInstanceOf(RetryableError);
    expect(err.message).toBe("list namespaces failed: apiserver unreachable (ECONNREFUSED)");
    expect(err.cause).toBe(refused);
  });

  it("passes catalogue errors through", () => {
    const original = new TerminalError("bad");

    expect(toImageSwapError(original, "x")).toBe(original);
  });

  it("recognises watch errors that carry statusCode", () => {
    const gone = Object.assign(new Error("Gone"), { statusCode: 410 });

    expect(toImageSwapError(gone, "watch")).toBeInstanceOf(RetryableError);
    expect(isNotFound(Object.assign(new Error("x"), { statusCode: 404 }))).toBe(true);
    expect(isConflict(apiException(409, ""))).toBe(true);
    expect(isConflict(apiException(404, ""))).toBe(false);
  });
});
