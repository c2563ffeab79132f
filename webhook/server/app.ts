import type { IncomingMessage, RequestListener } from "node:http";
import express from "express";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "../telemetry/logger.js";
import { errorFields } from "../telemetry/logger.js";
import type { AdmissionHandlerOptions } from "./admission-handler.js";
import { createAdmissionHandler } from "./admission-handler.js";
import type { ReadinessCheck } from "./health.js";
import { HEALTH_PATHS } from "./health.js";

export interface WebhookAppOptions extends AdmissionHandlerOptions {
  readiness: ReadinessCheck;
}

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
    o.log.error("request failed", { path: req.path, err: errorFields(err) });
    if (!res.headersSent) res.status(500).json({ message: "internal error" });
  };
}

/** True for the admission routes, which are served ahead of the Express router. */
export function isAdmissionRequest(req: IncomingMessage): boolean {
  if (req.method !== "POST" || req.url === undefined) return false;
  const query = req.url.indexOf("?");
  const path = query < 0 ? req.url : req.url.slice(0, query);
  return path === "/mutate" || path === "/";
}

/**
 * The HTTPS request listener. Admission (`POST /mutate` and, for clients of the predecessor,
 * `POST /`) goes straight to its handler; the Express app serves everything else: `/healthz`
 * (the process answers), `/readyz` (a table and a certificate are loaded), 404s and errors.
 *
 * NOTE: admission bypasses the Express router on purpose. Express's per-request work (request
 * and response prototypes, routing, the general body parser) held even an empty Express route
 * to 0.39 of a bare node:https server in the webhook benchmark, while the admission path must
 * stay close to bare (issue #4 asks for 0.8); see docs/webhook.md.
 */
export function createWebhookListener(o: WebhookAppOptions): RequestListener {
  const admission = createAdmissionHandler(o);
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
  app.use(errorHandler(o));

  return (req, res) => (isAdmissionRequest(req) ? admission(req, res) : app(req, res));
}
