import type { V1Secret } from "@kubernetes/client-node";
import { generateCertificates } from "./cert-generator.js";
import type { CertificateInfo } from "./certificate-info.js";
import { readCertificate, servingNames, splitPemBundle } from "./certificate-info.js";
import type { CertPlan, CertPlanOptions } from "./cert-plan.js";
import { MAX_WAIT_MS, TRUST_POLL_MS, nextTlsContent, planCertificate } from "./cert-plan.js";
import type { TlsSecretState } from "./tls-secret.js";
import { buildTlsSecret, inspectTlsSecret } from "./tls-secret.js";

const DAY = 86400000;
const T0 = new Date("2026-01-01T00:00:00Z");
const NAMES = servingNames("imageswap", "imageswap-system", ["127.0.0.1"]);
const OPTIONS: CertPlanOptions = { renewBeforeMs: 180 * DAY, graceMs: 30000, names: NAMES };
const TARGET = { namespace: "imageswap-system", name: "imageswap-tls" };

function info(fingerprint: string, notAfter: Date, names = NAMES): CertificateInfo {
  return { notBefore: T0, notAfter, fingerprint256: fingerprint, isCa: false, ...names };
}

function state(overrides: Partial<TlsSecretState> = {}): TlsSecretState {
  const expires = new Date(T0.getTime() + 365 * DAY);
  const issued = { cert: info("LEAF", expires), issuer: info("CA", expires), issuerPem: "ca" };
  return { phase: "Stable", rotateRequested: false, pems: {}, serving: issued, ...overrides };
}

const pending = { cert: info("NEXT", T0), issuer: info("NEWCA", T0), issuerPem: "new-ca" };
const at = (ms: number) => new Date(T0.getTime() + ms);

describe("planCertificate", () => {
  const cases: Array<[string, TlsSecretState | undefined, string[] | undefined, Date, CertPlan]> = [
    [
      "creates a missing secret",
      undefined,
      undefined,
      T0,
      { action: "create", reason: "secret missing" },
    ],
    [
      "replaces an unusable secret at once",
      state({ serving: undefined, servingProblem: "tls.key does not match tls.crt" }),
      undefined,
      T0,
      { action: "create", reason: "tls.key does not match tls.crt" },
    ],
    [
      "replaces an expired certificate at once",
      state(),
      undefined,
      at(366 * DAY),
      { action: "create", reason: "certificate expired" },
    ],
    [
      "waits while renewal is not due, an hour at most",
      state(),
      undefined,
      T0,
      { action: "wait", requeueAfterMs: MAX_WAIT_MS, reason: "renewal not due" },
    ],
    [
      "waits exactly until renewal falls due when that is near",
      state(),
      undefined,
      at(185 * DAY - 1000),
      { action: "wait", requeueAfterMs: 1000, reason: "renewal not due" },
    ],
    [
      "rotates when less than the renew window is left",
      state(),
      undefined,
      at(185 * DAY),
      { action: "begin-rotation", reason: "renewal-due" },
    ],
    [
      "rotates on request",
      state({ rotateRequested: true }),
      undefined,
      T0,
      { action: "begin-rotation", reason: "requested" },
    ],
    [
      "rotates when a wanted name is missing",
      state({
        serving: {
          cert: info("L", at(365 * DAY), { dnsNames: ["imageswap"], ipAddresses: [] }),
          issuer: info("CA", at(365 * DAY)),
          issuerPem: "",
        },
      }),
      undefined,
      T0,
      { action: "begin-rotation", reason: "names-changed" },
    ],
    [
      "counts renewal from the CA when it expires before the leaf",
      state({
        serving: {
          cert: info("L", at(365 * DAY)),
          issuer: info("CA", at(200 * DAY)),
          issuerPem: "",
        },
      }),
      undefined,
      at(20 * DAY),
      { action: "begin-rotation", reason: "renewal-due" },
    ],
    [
      "waits in Trusting until the caBundle holds the new CA",
      state({ phase: "Trusting", next: pending }),
      ["CA"],
      T0,
      { action: "wait", requeueAfterMs: TRUST_POLL_MS, reason: "caBundle lacks the new CA" },
    ],
    [
      "moves on once the caBundle holds the new CA",
      state({ phase: "Trusting", next: pending }),
      ["CA", "NEWCA"],
      T0,
      { action: "mark-trusted" },
    ],
    [
      "moves on when no caBundle is managed",
      state({ phase: "Trusting", next: pending }),
      undefined,
      T0,
      { action: "mark-trusted" },
    ],
    [
      "starts over when the pending pair is broken",
      state({ phase: "Trusting", nextProblem: "next.key does not match next.crt" }),
      ["CA"],
      T0,
      { action: "begin-rotation", reason: "pending-invalid" },
    ],
    [
      "keeps the old pair serving during the grace after trust",
      state({ phase: "Trusted", next: pending, phaseSince: at(-10000) }),
      ["CA", "NEWCA"],
      T0,
      { action: "wait", requeueAfterMs: 20000, reason: "grace period" },
    ],
    [
      "promotes the new pair after the grace",
      state({ phase: "Trusted", next: pending, phaseSince: at(-30000) }),
      ["CA", "NEWCA"],
      T0,
      { action: "promote" },
    ],
    [
      "keeps the old CA during the grace after promotion",
      state({ phase: "Serving", phaseSince: at(-29999) }),
      undefined,
      T0,
      { action: "wait", requeueAfterMs: 1, reason: "grace period" },
    ],
    [
      "drops the old CA after the grace",
      state({ phase: "Serving", phaseSince: at(-30000) }),
      undefined,
      T0,
      { action: "finish" },
    ],
    [
      "finishes a phase that lost its start time",
      state({ phase: "Serving" }),
      undefined,
      T0,
      { action: "finish" },
    ],
  ];

  it.each(cases)("%s", (...[, secret, trusted, now, expected]) => {
    expect(planCertificate({ secret, trustedFingerprints: trusted, now }, OPTIONS)).toEqual(
      expected,
    );
  });

  it("does not start a second rotation while one runs, even when requested", () => {
    const secret = state({ phase: "Serving", rotateRequested: true, phaseSince: T0 });

    expect(
      planCertificate({ secret, trustedFingerprints: undefined, now: T0 }, OPTIONS).action,
    ).toBe("wait");
  });
});

describe("a rotation walked through the real Secret, step by step", () => {
  const generate = (now: Date) =>
    generateCertificates({ commonName: "imageswap", names: NAMES, validityDays: 365, now });

  function apply(
    secret: V1Secret | undefined,
    plan: CertPlan,
    now: Date,
    fresh?: Awaited<ReturnType<typeof generate>>,
  ): V1Secret {
    const current = secret && inspectTlsSecret(secret);
    return buildTlsSecret(nextTlsContent(current, plan, now, fresh), TARGET, secret);
  }

  function plan(
    secret: V1Secret | undefined,
    trustedFingerprints: string[] | undefined,
    now: Date,
  ): CertPlan {
    return planCertificate(
      { secret: secret && inspectTlsSecret(secret), trustedFingerprints, now },
      OPTIONS,
    );
  }

  const fingerprints = (secret: V1Secret) =>
    splitPemBundle(inspectTlsSecret(secret).pems.caCrt!).map(
      pem => readCertificate(pem).fingerprint256,
    );

  it("never serves a certificate whose CA the caBundle lacks, and ends with only the new CA", async () => {
    const first = await generate(T0);
    let secret = apply(undefined, plan(undefined, undefined, T0), T0, first);
    const oldCa = readCertificate(first.caCert).fingerprint256;
    let bundle = [oldCa];
    expect(inspectTlsSecret(secret)).toMatchObject({ phase: "Stable", servingProblem: undefined });

    const renewAt = at(185 * DAY);
    const begin = plan(secret, bundle, renewAt);
    const second = await generate(renewAt);
    secret = apply(secret, begin, renewAt, second);
    const newCa = readCertificate(second.caCert).fingerprint256;
    expect(begin).toEqual({ action: "begin-rotation", reason: "renewal-due" });
    expect(inspectTlsSecret(secret).pems.tlsCrt).toBe(first.servingCert);
    expect(fingerprints(secret)).toEqual([newCa, oldCa]);

    expect(plan(secret, bundle, renewAt).action).toBe("wait");
    bundle = fingerprints(secret);
    secret = apply(secret, plan(secret, bundle, renewAt), renewAt);
    expect(inspectTlsSecret(secret).phase).toBe("Trusted");
    expect(inspectTlsSecret(secret).pems.tlsCrt).toBe(first.servingCert);

    const promoted = new Date(renewAt.getTime() + OPTIONS.graceMs);
    secret = apply(secret, plan(secret, bundle, promoted), promoted);
    expect(inspectTlsSecret(secret)).toMatchObject({
      phase: "Serving",
      pems: { tlsCrt: second.servingCert },
    });
    expect(Object.keys(secret.data!).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
    expect(bundle).toContain(newCa);

    const done = new Date(promoted.getTime() + OPTIONS.graceMs);
    secret = apply(secret, plan(secret, bundle, done), done);
    expect(inspectTlsSecret(secret)).toMatchObject({ phase: "Stable", servingProblem: undefined });
    expect(fingerprints(secret)).toEqual([newCa]);
    expect(plan(secret, [newCa], done)).toMatchObject({
      action: "wait",
      reason: "renewal not due",
    });
  });

  it("clears the rotate request when the rotation begins and keeps foreign annotations", async () => {
    const fresh = await generate(T0);
    const secret = apply(undefined, { action: "create", reason: "secret missing" }, T0, fresh);
    secret.metadata!.annotations!["k8s.twr.io/imageswap-rotate"] = "true";
    secret.metadata!.annotations!["example.com/owner"] = "team";

    const next = apply(secret, plan(secret, undefined, T0), T0, await generate(T0));

    expect(next.metadata!.annotations).toMatchObject({
      "example.com/owner": "team",
      "k8s.twr.io/imageswap-cert-phase": "Trusting",
    });
    expect(next.metadata!.annotations!["k8s.twr.io/imageswap-rotate"]).toBeUndefined();
  });
});
