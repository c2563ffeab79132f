import express from "express";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "../telemetry/logger.js";
import { errorFields } from "../telemetry/logger.js";
import type { AdmissionHandlerOptions } from "./admission-handler.js";
import { createAdmissionHandler, reject } from "./admission-handler.js";
import type { ReadinessCheck } from "./health.js";
import { HEALTH_PATHS } from "./health.js";

export interface WebhookAppOptions extends AdmissionHandlerOptions {
  maxBodyBytes: number;
  readiness: ReadinessCheck;
}

/** body-parser's error shape: `type` names the failure, `status` the HTTP answer it suggests. */
interface BodyError {
  type?: string;
  status?: number;
  message?: string;
}

// Client mistakes the body parser reports, with the status we answer. Every one of them means
// the body is not an AdmissionReview we could read, so none of them is answered in-band.
const BODY_ERRORS: Readonly<Record<string, number>> = {
  "entity.parse.failed": 400,
  "entity.verify.failed": 400,
  "entity.too.large": 413,
  "charset.unsupported": 415,
  "encoding.unsupported": 415,
  "request.size.invalid": 400,
};

function accessLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!log.isDebugEnabled() || HEALTH_PATHS.has(req.path)) return next();
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      log.debug("request completed", {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs,
      });
    });
    next();
  };
}

function errorHandler(o: WebhookAppOptions) {
  // Express recognises error middleware by its four parameters.
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const bodyError = err as BodyError;
    if (bodyError.type === "request.aborted") {
      o.log.debug("request aborted by client", { path: req.path });
      return;
    }
    const status = BODY_ERRORS[bodyError.type ?? ""];
    if (status !== undefined) {
      const message =
        status === 413 ? `body larger than ${o.maxBodyBytes} bytes` : String(bodyError.message);
      reject(o, res, { status, body: undefined, message });
      return;
    }
    o.log.error("request failed", { path: req.path, err: errorFields(err) });
    if (!res.headersSent) res.status(500).json({ message: "internal error" });
  };
}

/**
 * The HTTPS app: admission on `/mutate` and, for clients of the predecessor, `/`; probes on
 * `/healthz` (the process answers) and `/readyz` (a table and a certificate are loaded).
 */
export function createWebhookApp(o: WebhookAppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(accessLog(o.log));

  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  app.get("/readyz", (_req, res) => {
    const readiness = o.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });

  // `type` is matched on the media type only, so `application/json; charset=utf-8` passes;
  // any other content type leaves the body undefined and the handler answers 400.
  // TODO(#4): this route pays Express's per-request cost, which alone holds a bare Express route
  // to 0.4-0.7 of bare node:https in the webhook benchmark (the target is 0.8); serving
  // POST /mutate ahead of the router would close most of that gap at the price of a second path.
  const body = express.json({ limit: o.maxBodyBytes, type: "application/json", strict: true });
  app.post(["/mutate", "/"], body, createAdmissionHandler(o));

  app.use(errorHandler(o));
  return app;
}
