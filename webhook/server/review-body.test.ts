import { describe, expect, it } from "@jest/globals";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { isJsonContentType, readReviewBody } from "./review-body.js";

/** A request stream with headers, as the HTTPS server hands it over. */
function request(body: string | string[], headers: Record<string, string>): IncomingMessage {
  const chunks = Array.isArray(body) ? body : [body];
  return Object.assign(Readable.from(chunks.map(c => Buffer.from(c))), { headers }) as never;
}

const JSON_TYPE = { "content-type": "application/json" };

describe("isJsonContentType", () => {
  it.each([
    ["application/json", true],
    ["Application/JSON; charset=utf-8", true],
    ["application/json-patch+json", false],
    ["text/plain", false],
    [undefined, false],
  ])("%s -> %s", (header, expected) => {
    expect(isJsonContentType(header)).toBe(expected);
  });
});

describe("readReviewBody", () => {
  it("parses a JSON object sent in several chunks", async () => {
    const result = await readReviewBody(request(['{"a":', '"b"}'], JSON_TYPE), 1024);

    expect(result).toEqual({ ok: true, body: { a: "b" } });
  });

  it("refuses a JSON scalar as a body", async () => {
    const result = await readReviewBody(request('"review"', JSON_TYPE), 1024);

    expect(result).toMatchObject({ ok: false, status: 400, message: "body is not a JSON object" });
  });

  it("answers 413 from the declared length without reading the body", async () => {
    const headers = { ...JSON_TYPE, "content-length": "2048" };

    const result = await readReviewBody(request("{}", headers), 1024);

    expect(result).toMatchObject({ ok: false, status: 413 });
  });

  it("answers 413 when a body without a declared length grows past the limit", async () => {
    const result = await readReviewBody(
      request(["{", " ".repeat(600), " ".repeat(600), "}"], JSON_TYPE),
      1024,
    );

    expect(result).toMatchObject({
      ok: false,
      status: 413,
      message: "body larger than 1024 bytes",
    });
  });

  it("answers 415 to a compressed body, which the apiserver never sends", async () => {
    const headers = { ...JSON_TYPE, "content-encoding": "gzip" };

    const result = await readReviewBody(request("{}", headers), 1024);

    expect(result).toMatchObject({ ok: false, status: 415 });
  });
});
