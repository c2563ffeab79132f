import type { IncomingMessage } from "node:http";

/**
 * Reads an admission request body: JSON only, at most `maxBytes`, identity encoding. Small on
 * purpose: the general body parser (content negotiation, charsets, compression) cost about a
 * tenth of the admission path in the webhook benchmark, and the apiserver sends none of that.
 */

export type BodyResult =
  { ok: true; body: unknown } | { ok: false; status: number; message: string; body?: unknown };

/** `application/json`, with or without parameters such as `charset=utf-8`. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const semicolon = header.indexOf(";");
  const media = (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  return media === "application/json";
}

function precheck(req: IncomingMessage, maxBytes: number): BodyResult | undefined {
  const contentType = req.headers["content-type"];
  if (!isJsonContentType(contentType)) {
    return {
      ok: false,
      status: 400,
      message: `content type "${contentType ?? ""}" is not application/json`,
    };
  }
  const encoding = req.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
    return { ok: false, status: 415, message: `content encoding "${encoding}" is not supported` };
  }
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) return tooLarge(maxBytes);
  return undefined;
}

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, status: 413, message: `body larger than ${maxBytes} bytes` };
}

/** Only an object or an array is a document, as strict JSON body parsers require. */
function parse(text: string): BodyResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { ok: false, status: 400, message: `body is not JSON: ${(err as Error).message}` };
  }
  if (typeof body !== "object" || body === null) {
    return { ok: false, status: 400, message: "body is not a JSON object" };
  }
  return { ok: true, body };
}

/**
 * Resolves with the parsed body or the answer to give; never rejects. A body over the limit is
 * answered at once and the rest of it drained unread, so that the client, still sending, gets
 * the answer instead of a broken pipe (the server's request timeout bounds the drain).
 * Resolves `undefined` when the client went away before the body was complete.
 */
export function readReviewBody(
  req: IncomingMessage,
  maxBytes: number,
): Promise<BodyResult | undefined> {
  const refused = precheck(req, maxBytes);
  if (refused) {
    req.resume();
    return Promise.resolve(refused);
  }
  return new Promise(resolve => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.removeAllListeners("data");
      req.resume();
      resolve(tooLarge(maxBytes));
    });
    req.on("end", () => {
      if (size <= maxBytes) resolve(parse(Buffer.concat(chunks, size).toString("utf8")));
    });
    req.on("aborted", () => resolve(undefined));
    req.on("error", () => resolve(undefined));
  });
}
