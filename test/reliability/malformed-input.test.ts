import { Agent } from "node:https";
import fc from "fast-check";
import { post, MIRROR_POLICY, type HttpResult } from "../fixtures/admission/harness.js";
import { loadReview, type AdmissionFixture } from "../fixtures/admission/load.js";
import { answerProblems } from "./admission-answer.js";
import { applyJsonPatch } from "./json-patch.js";
import { keyMaterialFindings } from "./log-scan.js";
import { isImageReference } from "./pod-validity.js";
import { getText, httpsStatus } from "./probes.js";
import { deepJson, mutatedReview, podReview } from "./review-arbitraries.js";
import { startWebhookProcess, type WebhookProcess } from "./webhook-process.js";

// The compiled `imageswap webhook` in a child process takes thousands of generated and mutated
// AdmissionReviews over HTTPS. It must stay up, answer every one well-formed (a review in-band
// with 200; anything else 400 or 413), and every patch must apply to the Pod it came with and
// leave a valid Pod. The seed is printed so that a failure can be replayed.

const SEED = Date.now() % 2 ** 31;
const FIXTURES: AdmissionFixture[] = [
  "pod-create",
  "deployment-create",
  "cronjob-create",
  "configmap-create",
  "pod-ephemeral-update",
];
const POLICY = {
  ...MIRROR_POLICY,
  default: "harbor.example.com/proxy",
  patterns: [{ regex: "^localhost:5000/(.+)$", target: "harbor.example.com/local/$1" }],
};

describe("webhook under malformed input", () => {
  let webhook: WebhookProcess;
  let agent: Agent;
  const counts = { sent: 0, ok: 0, refused: 0, patched: 0 };

  const send = async (body: string | Buffer): Promise<HttpResult> => {
    counts.sent += 1;
    const result = await post(webhook.port, body, { ca: webhook.certificate.ca, agent });
    if (result.status === 200) counts.ok += 1;
    else counts.refused += 1;
    if (result.json?.response?.patch) counts.patched += 1;
    return result;
  };
  /** Sends the review; throws with the problems and the review when the answer is wrong. */
  const check = async (review: unknown, status?: number): Promise<void> => {
    const body = JSON.stringify(review);
    const result = await send(body);
    const problems = answerProblems(body, result);
    if (status !== undefined && result.status !== status) problems.push(`status ${result.status}`);
    if (problems.length > 0)
      throw new Error(`${problems.join("; ")}\nreview: ${body.slice(0, 4000)}`);
  };

  beforeAll(async () => {
    webhook = await startWebhookProcess(POLICY);
    agent = new Agent({ keepAlive: true, maxSockets: 4, ca: webhook.certificate.ca });
    console.log(`malformed-input fuzz seed: ${SEED}`);
  });

  afterAll(async () => {
    agent?.destroy();
    await webhook?.stop();
    console.log(`malformed-input: ${JSON.stringify(counts)}`);
  });

  it("checks patches with an applier that refuses what the apiserver refuses", () => {
    const pod = { spec: { containers: [{ image: "a" }] } };

    expect(() => applyJsonPatch(pod, [{ op: "replace", path: "/spec/x", value: 1 }])).toThrow();
    expect(() => applyJsonPatch(pod, [{ op: "add", path: "/a/b", value: 1 }])).toThrow();
    expect(applyJsonPatch(pod, [{ op: "add", path: "/m~1n~0", value: 1 }])).toMatchObject({
      "m/n~": 1,
    });
    expect(isImageReference("harbor.example.com/dockerhub/library/nginx:1.25")).toBe(true);
    expect(isImageReference("NGINX:1")).toBe(false);
  });

  it("answers 2,000 generated Pod reviews in-band with patches that leave valid Pods", async () => {
    await fc.assert(
      fc.asyncProperty(podReview, review => check(review, 200)),
      { numRuns: 2000, seed: SEED },
    );

    expect(counts.patched).toBeGreaterThan(500);
  });

  it("answers 1,500 mutated fixture reviews well-formed", async () => {
    const fixtures = fc.constantFrom(...FIXTURES).map(name => loadReview(name) as unknown);

    await fc.assert(
      fc.asyncProperty(mutatedReview(fixtures), review => check(review)),
      { numRuns: 1500, seed: SEED },
    );
  });

  it("refuses 500 bodies that are not reviews with 400", async () => {
    const bodies = fc.oneof(
      fc.jsonValue().map(v => JSON.stringify(v)),
      fc.string({ unit: "binary", maxLength: 200 }),
    );

    await fc.assert(
      fc.asyncProperty(bodies, async body => {
        const result = await send(body);
        expect(result.status).toBe(400);
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it.each([
    ["20,000 containers", () => podWith(r => (r.request.object.spec.containers = many(20_000)))],
    [
      "50,000 hostile annotation keys",
      () => podWith(r => (r.request.object.metadata.annotations = hostileMap(50_000))),
    ],
    [
      "an image string of 1 MiB",
      () => podWith(r => (r.request.object.spec.containers[0].image = "a".repeat(1 << 20))),
    ],
    [
      "a 100,000-deep annotation value",
      () => JSON.stringify(loadReview("pod-create")).replace('"nginx:1.25"', deepJson(100_000)),
    ],
    ["a 1,000,000-deep array body", () => deepJson(1_000_000)],
    [
      "a deep object in place of spec",
      () => podWith(r => (r.request.object.spec = "@")).replace('"@"', nest(50_000)),
    ],
    ["invalid UTF-8 in an image", () => invalidUtf8()],
    [
      "a byte-order mark before the JSON",
      () => "\ufeff" + JSON.stringify(loadReview("pod-create")),
    ],
    [
      "duplicate keys",
      () => JSON.stringify(loadReview("pod-create")).replace('"uid":', '"uid":1,"uid":'),
    ],
    [
      "numbers beyond float range",
      () => JSON.stringify(loadReview("pod-create")).replace(/"uid":"[^"]*"/, '"uid":1e400'),
    ],
    [
      "8 MiB of padding",
      () => podWith(r => (r.request.object.metadata.annotations.pad = "x".repeat(8 << 20))),
    ],
  ])("survives %s", async (_case, makeBody) => {
    const body = makeBody();

    const result = await send(body).catch((err: NodeJS.ErrnoException) => err);

    if (result instanceof Error) {
      // A body over the 7 MiB limit may be cut off while it is still being sent: the server
      // answers 413 and closes, the client meets EPIPE or a reset. That is a refusal too.
      expect({ code: result.code, oversized: body.length > 7 * 1024 * 1024 }).toEqual({
        code: expect.stringMatching(/^(EPIPE|ECONNRESET)$/),
        oversized: true,
      });
    } else {
      expect(answerProblems(body, result)).toEqual([]);
    }
    expect(await httpsStatus(webhook.port, "/healthz")).toBe(200);
  });

  it("stays up, counts no internal error, and logs no key material", async () => {
    const metrics = await getText(webhook.metricsPort, "/metrics");
    const errors = metrics.body
      .split("\n")
      .filter(
        l => l.startsWith("imageswap_admission_requests_total{") && l.includes('result="error"'),
      )
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);

    expect(webhook.exited()).toBeUndefined();
    expect(await httpsStatus(webhook.port, "/readyz")).toBe(200);
    expect(errors).toBe(0);
    expect(keyMaterialFindings(webhook.output(), [webhook.certificate.key])).toEqual([]);
    expect(webhook.output()).toContain("admission patched");
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Review = any;

function podWith(edit: (review: Review) => void): string {
  const review = loadReview("pod-create");
  edit(review);
  return JSON.stringify(review);
}

function many(count: number): unknown[] {
  return Array.from({ length: count }, (_, i) => ({ name: `c${i}`, image: `nginx:${i % 50}` }));
}

function hostileMap(count: number): Record<string, string> {
  const keys = ["~", "/", "~1", "a/~0"];
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${keys[i % 4]}${i}`, "v"]));
}

/** `{"containers": {"containers": ... [{"image": ...}]}}` as text, `depth` levels deep. */
function nest(depth: number): string {
  const leaf = '[{"name":"c","image":"nginx:1"}]';
  return '{"containers":'.repeat(depth) + leaf + "}".repeat(depth);
}

function invalidUtf8(): Buffer {
  const text = JSON.stringify(loadReview("pod-create"));
  const at = text.indexOf("nginx:1.25");
  return Buffer.concat([
    Buffer.from(text.slice(0, at)),
    Buffer.from([0xff, 0xfe, 0xc3]),
    Buffer.from(text.slice(at)),
  ]);
}
