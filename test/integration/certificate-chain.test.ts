import { describe, expect, it } from "@jest/globals";
import { X509Certificate } from "node:crypto";
import { connect, createServer, type Server } from "node:tls";
import type { AddressInfo } from "node:net";
import { generateCertificates } from "../../operator/certs/cert-generator.js";
import { joinPemBundle } from "../../operator/certs/certificate-info.js";

const NAMES = { dnsNames: ["imageswap.imageswap-system.svc"], ipAddresses: ["127.0.0.1"] };

function generate() {
  return generateCertificates({
    commonName: "imageswap.imageswap-system.svc",
    names: NAMES,
    validityDays: 30,
    now: new Date(),
  });
}

/** Serves `cert`/`key` on loopback and verifies it with Node's (OpenSSL's) TLS client. */
async function verifyWith(pair: { cert: string; key: string }, ca: string): Promise<string> {
  const server: Server = createServer({ cert: pair.cert, key: pair.key }, socket => socket.end());
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise(resolve => {
      const socket = connect({ host: "127.0.0.1", port, ca }, () => {
        resolve(socket.authorized ? "authorized" : String(socket.authorizationError));
        socket.end();
      });
      socket.on("error", err => resolve(err.message));
    });
  } finally {
    server.close();
  }
}

describe("generated certificates during a rotation", () => {
  it("give every CA a subject of its own", async () => {
    const [first, second] = await Promise.all([generate(), generate()]);

    expect(new X509Certificate(first.caCert).subject).not.toBe(
      new X509Certificate(second.caCert).subject,
    );
  });

  it("verify with an OpenSSL client whatever the order of old and new CA in the bundle", async () => {
    const [old, current] = await Promise.all([generate(), generate()]);
    const pair = { cert: current.servingCert, key: current.servingKey };

    expect(await verifyWith(pair, joinPemBundle([old.caCert, current.caCert]))).toBe("authorized");
    expect(await verifyWith(pair, joinPemBundle([current.caCert, old.caCert]))).toBe("authorized");
    expect(await verifyWith(pair, old.caCert)).not.toBe("authorized");
  });
});
