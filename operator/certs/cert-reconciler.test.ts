import { WEBHOOK_NAME } from "../webhook-config/webhook-configuration.js";
import { generateCertificates } from "./cert-generator.js";
import { readCertificate, servingNames } from "./certificate-info.js";
import { trustedFingerprints } from "./cert-reconciler.js";

const names = servingNames("imageswap", "imageswap-system", []);
const issue = () =>
  generateCertificates({ commonName: "t", names, validityDays: 1, now: new Date() });
const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

function configTrusting(caBundle?: string, webhookName = WEBHOOK_NAME) {
  return {
    webhooks: [
      {
        name: webhookName,
        clientConfig: { caBundle },
        sideEffects: "None",
        admissionReviewVersions: ["v1"],
      },
    ],
  };
}

describe("trustedFingerprints", () => {
  it("lists every CA of our webhook's caBundle", async () => {
    const [one, two] = await Promise.all([issue(), issue()]);

    const trusted = trustedFingerprints(configTrusting(base64(one.caCert + two.caCert)));

    expect(trusted).toEqual([
      readCertificate(one.caCert).fingerprint256,
      readCertificate(two.caCert).fingerprint256,
    ]);
  });

  it("trusts nothing when our webhook has no caBundle", () => {
    expect(trustedFingerprints(configTrusting(undefined))).toEqual([]);
  });

  it("asks for no trust when no webhook of ours is configured (absent, or break glass)", () => {
    expect(trustedFingerprints(undefined)).toBeUndefined();
    expect(trustedFingerprints({ webhooks: [] })).toBeUndefined();
    expect(trustedFingerprints(configTrusting("", "other.example.com"))).toBeUndefined();
  });
});
