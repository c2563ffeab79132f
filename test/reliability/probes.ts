import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { X509Certificate } from "node:crypto";
import { connect, type ConnectionOptions } from "node:tls";

/**
 * Small network probes of the reliability suites: status and body of one request, and one TLS
 * handshake that reports how it ended instead of throwing.
 */

export interface TextResult {
  status: number;
  body: string;
}

/** Status of one GET to the HTTPS port, 0 when nothing answers. Reachability only. */
export function httpsStatus(port: number, path: string): Promise<number> {
  return new Promise(resolve => {
    // NOTE: unverified on purpose: callers ask whether it answers, not whom they talk to.
    const options = { host: "127.0.0.1", port, path, rejectUnauthorized: false, timeout: 2000 };
    const req = httpsRequest(options, res => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}

/** One GET over HTTPS (verified against `ca`) or plain HTTP when `ca` is undefined. */
export function getText(port: number, path: string, ca?: string): Promise<TextResult> {
  return new Promise((resolve, reject) => {
    const options = { host: "127.0.0.1", port, path, ca, agent: false, timeout: 5000 };
    const req = (ca === undefined ? httpRequest : httpsRequest)(options, res => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

export interface HandshakeResult {
  ok: boolean;
  /** The negotiated protocol, e.g. "TLSv1.3", when the handshake completed. */
  protocol?: string;
  fingerprint256?: string;
  /** The certificate the server presented. */
  peer?: X509Certificate;
  /** Error code (e.g. ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION, ECONNREFUSED) otherwise. */
  error?: string;
}

/** One TLS handshake with 127.0.0.1:`port`; never rejects. */
export function handshake(
  port: number,
  options: Omit<ConnectionOptions, "host" | "port">,
): Promise<HandshakeResult> {
  return new Promise(resolve => {
    const socket = connect({ host: "127.0.0.1", port, timeout: 5000, ...options }, () => {
      const protocol = socket.getProtocol() ?? undefined;
      const peer = socket.getPeerX509Certificate();
      socket.end();
      resolve({ ok: true, protocol, fingerprint256: peer?.fingerprint256, peer });
    });
    socket.on("timeout", () =>
      socket.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })),
    );
    socket.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, error: err.code ?? err.message }),
    );
  });
}

/** Every certificate of a PEM bundle. */
export function bundleCertificates(bundle: string): X509Certificate[] {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  return (blocks ?? []).map(pem => new X509Certificate(pem));
}

/**
 * Why `cert` is not trusted for 127.0.0.1 by a CA of `bundle`, or undefined when it is. Like Go's
 * crypto/x509, which the apiserver verifies webhooks with, every CA whose subject matches the
 * issuer is tried, not just the first.
 */
export function untrustedReason(
  cert: X509Certificate,
  bundle: string,
  now = new Date(),
): string | undefined {
  const within = (c: X509Certificate): boolean =>
    new Date(c.validFrom) <= now && now <= new Date(c.validTo);
  if (!within(cert)) return "certificate outside its validity";
  if (cert.checkIP("127.0.0.1") === undefined) return "no IP SAN 127.0.0.1";
  const issuers = bundleCertificates(bundle).filter(ca => ca.ca && cert.checkIssued(ca));
  if (issuers.length === 0) return "no CA of the bundle names the issuer";
  const signer = issuers.find(ca => cert.verify(ca.publicKey));
  if (!signer) return "no CA of the bundle signed it";
  return within(signer) ? undefined : "issuing CA outside its validity";
}
