import type { StateHolder } from "./serving-state.js";

/** Why a replica is or is not ready: the body of `/readyz`. */
export interface Readiness {
  ready: boolean;
  /** A swap table has been published. */
  table: boolean;
  /** A certificate is installed and reloads have not failed past the budget. */
  certificate: boolean;
}

export type ReadinessCheck = () => Readiness;

export function readinessCheck(state: StateHolder, tls: { ready(): boolean }): ReadinessCheck {
  return () => {
    const table = state.current() !== undefined;
    const certificate = tls.ready();
    return { ready: table && certificate, table, certificate };
  };
}

/** Paths answered on both ports and never access-logged: probes would drown the log. */
export const HEALTH_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics"]);
