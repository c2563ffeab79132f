import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Logger } from "../telemetry/logger.js";
import { errorFields } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { ReadinessCheck } from "./health.js";

export interface MetricsServerOptions {
  metrics: Metrics;
  readiness: ReadinessCheck;
  log: Logger;
}

async function serve(o: MetricsServerOptions, req: IncomingMessage, res: ServerResponse) {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET") {
    res.writeHead(405, { allow: "GET" }).end();
    return;
  }
  if (path === "/metrics") {
    const text = await o.metrics.registry.metrics();
    res.writeHead(200, { "content-type": o.metrics.registry.contentType }).end(text);
    return;
  }
  if (path === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    return;
  }
  if (path === "/readyz") {
    const readiness = o.readiness();
    res.writeHead(readiness.ready ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify(readiness));
    return;
  }
  res.writeHead(404).end();
}

/**
 * Plain HTTP, on its own port: `/metrics` for Prometheus, and the two probes again so that a
 * kubelet can probe a replica that has no certificate yet (the operator may still be issuing it).
 */
export function createMetricsServer(o: MetricsServerOptions): Server {
  return createServer((req, res) => {
    serve(o, req, res).catch((err: unknown) => {
      o.log.error("metrics request failed", { err: errorFields(err) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}
