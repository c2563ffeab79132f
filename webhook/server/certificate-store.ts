import { X509Certificate, createPrivateKey } from "node:crypto";
import type { SecureContextOptions } from "node:tls";
import { createSecureContext } from "node:tls";
import { TlsError } from "../errors.js";
import type { Logger } from "../telemetry/logger.js";
import { errorFields } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { CertificateSink, PemPair } from "./serving-state.js";

/** TLS 1.2 is the floor: the apiserver speaks 1.3, older clients of the predecessor 1.2. */
export const MIN_TLS_VERSION = "TLSv1.2";

/** cert-manager gives up on a file source after 12 failed reads 10 s apart: two minutes. */
export const DEFAULT_FAILURE_BUDGET = 12;

export interface CertificateStoreOptions {
  log: Logger;
  metrics: Metrics;
  /** Installs a checked pair on the server, e.g. `https.Server.setSecureContext`. */
  apply: (options: SecureContextOptions) => void;
  /** Consecutive failed updates before `ready()` turns false. @default 12 */
  failureBudget?: number;
  /** Milliseconds since the epoch; injected so expiry checks can be tested. @default Date.now */
  now?: () => number;
}

export interface CertificateInfo {
  notAfter: Date;
  fingerprint256: string;
}

/**
 * Checks a pair the way the TLS stack will use it. Throws TlsError naming what is wrong; the
 * message never contains key material.
 */
export function checkPair(pair: PemPair, nowMs: number): CertificateInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.cert);
  } catch (err) {
    throw new TlsError("certificate is not a PEM X.509 certificate", { cause: err });
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(pair.key))) {
      throw new TlsError(`private key does not match certificate ${cert.fingerprint256}`);
    }
    // Proves the pair loads into a context, as the server will do with it.
    createSecureContext({ cert: pair.cert, key: pair.key, minVersion: MIN_TLS_VERSION });
  } catch (err) {
    if (err instanceof TlsError) throw err;
    throw new TlsError("private key cannot be loaded", { cause: err });
  }
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= nowMs) {
    throw new TlsError(`certificate expired at ${notAfter.toISOString()}`);
  }
  return { notAfter, fingerprint256: cert.fingerprint256 };
}

/**
 * The serving certificate: accepts new pairs from any source, installs the ones that check out,
 * keeps serving the old one otherwise, and turns not-ready after too many failures in a row.
 */
export class CertificateStore implements CertificateSink {
  private pair: PemPair | undefined;
  private failures = 0;
  private readonly budget: number;
  private readonly now: () => number;

  constructor(private readonly o: CertificateStoreOptions) {
    this.budget = o.failureBudget ?? DEFAULT_FAILURE_BUDGET;
    this.now = o.now ?? Date.now;
  }

  /** True once a pair is installed and fewer than `failureBudget` updates failed since. */
  ready(): boolean {
    return this.pair !== undefined && this.failures < this.budget;
  }

  current(): PemPair | undefined {
    return this.pair;
  }

  /** Installs `pair` unless it equals the current one or fails the checks. */
  update(pair: PemPair, source: string): boolean {
    if (this.pair && this.pair.cert === pair.cert && this.pair.key === pair.key) return true;
    let info: CertificateInfo;
    try {
      info = checkPair(pair, this.now());
      this.o.apply({ cert: pair.cert, key: pair.key, minVersion: MIN_TLS_VERSION });
    } catch (err) {
      this.recordFailure(err, source);
      return false;
    }

    this.pair = { cert: pair.cert, key: pair.key };
    this.failures = 0;
    this.o.metrics.certificateReloads.inc({ result: "success" });
    this.o.metrics.certificateExpiry.set(Math.floor(info.notAfter.getTime() / 1000));
    this.o.log.info("certificate loaded", {
      source,
      notAfter: info.notAfter.toISOString(),
      fingerprint256: info.fingerprint256,
    });
    return true;
  }

  private recordFailure(err: unknown, source: string): void {
    this.failures += 1;
    this.o.metrics.certificateReloads.inc({ result: "error" });
    const fields = { source, failures: this.failures, budget: this.budget, err: errorFields(err) };
    if (this.failures === this.budget) {
      this.o.log.error("certificate reload failure budget spent; not ready", fields);
    } else {
      this.o.log.warn("certificate rejected; keeping the current one", fields);
    }
  }
}
