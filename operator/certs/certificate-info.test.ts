import { generateCertificates } from "./cert-generator.js";
import {
  coversNames,
  findIssuer,
  isIssuedBy,
  joinPemBundle,
  keyMatches,
  readCertificate,
  servingNames,
  splitPemBundle,
} from "./certificate-info.js";

const NOW = new Date("2026-06-01T00:00:00Z");
const NAMES = servingNames("imageswap", "imageswap-system", ["127.0.0.1", "::1", "hook.example"]);

async function fresh() {
  return generateCertificates({
    commonName: "imageswap.imageswap-system.svc",
    names: NAMES,
    validityDays: 365,
    now: NOW,
  });
}

describe("servingNames", () => {
  it("lists the four service names, then extra DNS names, and extra IPs apart", () => {
    expect(servingNames("svc", "ns", ["10.0.0.1", "a.example", "svc"])).toEqual({
      dnsNames: ["svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local", "a.example"],
      ipAddresses: ["10.0.0.1"],
    });
  });
});

describe("generateCertificates and readCertificate", () => {
  it("issues a CA and a serving certificate that carries every wanted name", async () => {
    const pems = await fresh();

    const ca = readCertificate(pems.caCert);
    const serving = readCertificate(pems.servingCert);

    expect(ca.isCa).toBe(true);
    expect(serving.isCa).toBe(false);
    expect(coversNames(serving, NAMES)).toBe(true);
    expect(serving.ipAddresses).toContain("127.0.0.1");
    expect(serving.notAfter.getTime() - NOW.getTime()).toBe(365 * 86400000);
    expect(serving.notBefore.getTime()).toBeLessThan(NOW.getTime());
  });

  it("signs the serving certificate with the CA it returns and no other", async () => {
    const [one, two] = await Promise.all([fresh(), fresh()]);

    expect(isIssuedBy(one.servingCert, one.caCert)).toBe(true);
    expect(isIssuedBy(one.servingCert, two.caCert)).toBe(false);
    expect(findIssuer(one.servingCert, joinPemBundle([two.caCert, one.caCert]))).toBe(
      splitPemBundle(one.caCert)[0],
    );
    expect(keyMatches(one.servingCert, one.servingKey)).toBe(true);
    expect(keyMatches(one.servingCert, two.servingKey)).toBe(false);
    expect(keyMatches(one.servingCert, "not a key")).toBe(false);
  });

  it("refuses text that is not a certificate with a TlsError", () => {
    expect(() => readCertificate("garbage")).toThrow(
      expect.objectContaining({ code: "IMAGESWAP_TLS" }),
    );
  });
});

describe("coversNames", () => {
  const base = { notBefore: NOW, notAfter: NOW, fingerprint256: "AA", isCa: false };

  it("is false when one wanted name is missing", () => {
    const info = { ...base, dnsNames: ["svc"], ipAddresses: ["127.0.0.1"] };

    expect(coversNames(info, { dnsNames: ["svc", "svc.ns"], ipAddresses: [] })).toBe(false);
    expect(coversNames(info, { dnsNames: ["SVC"], ipAddresses: ["127.0.0.1"] })).toBe(true);
  });

  it("compares IPv6 addresses whatever their spelling", () => {
    const info = { ...base, dnsNames: [], ipAddresses: ["FD00:0:0:0:0:0:A:1"] };

    expect(coversNames(info, servingNames("s", "n", ["fd00::a:1"]))).toBe(false);
    expect(coversNames(info, { dnsNames: [], ipAddresses: ["fd00::a:1"] })).toBe(true);
  });
});

describe("joinPemBundle and splitPemBundle", () => {
  it("keeps order and drops repeated certificates", async () => {
    const [one, two] = await Promise.all([fresh(), fresh()]);

    const bundle = joinPemBundle([one.caCert, two.caCert + one.caCert]);

    expect(splitPemBundle(bundle)).toEqual([one.caCert, two.caCert].map(p => p.trim() + "\n"));
  });
});
