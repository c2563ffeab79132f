import { loadReview } from "../fixtures/admission/load.js";
import type { Harness } from "../fixtures/admission/harness.js";
import {
  MIRROR_POLICY,
  metricValue,
  patchOf,
  post,
  startHarness,
} from "../fixtures/admission/harness.js";

type Review = ReturnType<typeof loadReview>;

function pod(edit: (r: Review) => void): Review {
  const r = loadReview("pod-create");
  edit(r);
  return r;
}

/** A valid Pod review padded with an annotation until its JSON is about `bytes` long. */
function reviewOfSize(bytes: number): string {
  const r = loadReview("pod-create");
  const base = JSON.stringify(r).length;
  r.request.object.metadata.annotations.padding = "x".repeat(bytes - base - 20);
  return JSON.stringify(r);
}

describe("webhook bad input", () => {
  let h: Harness;
  const send = (body: unknown, contentType?: string) =>
    post(h.server.port, body, { ca: h.certificate.ca, contentType });

  beforeAll(async () => {
    h = await startHarness();
    h.publish({ mirror: MIRROR_POLICY }, 1);
  });

  afterAll(async () => {
    await h.server.close();
  });

  describe("requests that are not AdmissionReviews get 400", () => {
    it.each([
      ["a body that is not JSON", "{not json"],
      ["an empty body", ""],
      ["a JSON array", "[1,2]"],
      ["a JSON string", '"AdmissionReview"'],
      ["another kind", JSON.stringify({ ...loadReview("pod-create"), kind: "Pod" })],
      [
        "an unknown apiVersion",
        JSON.stringify({ ...loadReview("pod-create"), apiVersion: "admission.k8s.io/v9" }),
      ],
      [
        "a review without request",
        JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }),
      ],
      ["a request without uid", JSON.stringify(pod(r => delete r.request.uid))],
      ["a request without kind", JSON.stringify(pod(r => delete r.request.kind))],
    ])("%s", async (_case, body) => {
      const res = await send(body);

      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        kind: "AdmissionReview",
        response: { allowed: false, status: { code: 400 } },
      });
    });

    it("a JSON review under a content type other than application/json", async () => {
      const res = await send(JSON.stringify(loadReview("pod-create")), "text/plain");

      expect(res.status).toBe(400);
      expect(res.json.response.status.message).toMatch(/content type "text\/plain"/);
    });

    it("accepts application/json with a charset parameter", async () => {
      const res = await send(
        JSON.stringify(loadReview("pod-create")),
        "application/json; charset=utf-8",
      );

      expect(res.status).toBe(200);
    });

    it("echoes the uid of a review that fails the shape check when it has one", async () => {
      const res = await send(pod(r => (r.request.operation = "PATCH")));

      expect(res.status).toBe(400);
      expect(res.json.response.uid).toBe("0b6a3c4e-7d1f-4f0a-9c57-2f0c1d0e9a01");
    });

    it("logs each rejection at warn with its reason", async () => {
      await send("{not json");

      const line = h.lines.filter(l => l.message === "admission request rejected").at(-1);
      expect(line).toMatchObject({ level: "warn", status: 400, component: "webhook" });
      expect(typeof line?.reason).toBe("string");
    });
  });

  describe("the body limit matches the apiserver's", () => {
    it("accepts a review of 6.5 MiB (an UPDATE carries two objects of up to 3 MiB)", async () => {
      const res = await send(reviewOfSize(6.5 * 1024 * 1024));

      expect(res.status).toBe(200);
      expect(patchOf(res).length).toBeGreaterThan(0);
    });

    it("answers 413 to a body over 7 MiB", async () => {
      const res = await send(reviewOfSize(7.5 * 1024 * 1024));

      expect(res.status).toBe(413);
      expect(res.json.response.status).toEqual({
        code: 413,
        message: "body larger than 7340032 bytes",
      });
    });
  });

  describe("valid reviews are always allowed", () => {
    it("allows an object that is not a Pod untouched", async () => {
      const res = await send(loadReview("configmap-create"));

      expect(res.status).toBe(200);
      expect(res.json.response).toEqual({
        uid: "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e04",
        allowed: true,
      });
    });

    it("allows a Pod without containers untouched", async () => {
      const res = await send(pod(r => (r.request.object.spec = {})));

      expect(res.json.response).toEqual({ uid: expect.any(String), allowed: true });
    });

    it("allows a Pod whose spec is not an object", async () => {
      const res = await send(pod(r => (r.request.object.spec = "nonsense")));

      expect(res.status).toBe(200);
      expect(res.json.response.allowed).toBe(true);
    });

    it("leaves a container without an image untouched, warns, and swaps the rest", async () => {
      const res = await send(pod(r => delete r.request.object.spec.containers[0].image));

      expect(res.status).toBe(200);
      expect(res.json.response.warnings).toContain(
        "containers[web]: no image; image left unchanged",
      );
      expect(patchOf(res).map(op => op.path)).not.toContain("/spec/containers/0/image");
      expect(patchOf(res).map(op => op.path)).toContain("/spec/containers/1/image");
    });

    it.each(["NGINX:1.25", "nginx:tag with space", "nginx@sha256:short", "-/x", "a//b"])(
      "leaves the invalid reference %j untouched with a warning",
      async image => {
        const res = await send(pod(r => (r.request.object.spec.containers[0].image = image)));

        expect(res.status).toBe(200);
        expect(res.json.response.allowed).toBe(true);
        expect(patchOf(res).map(op => op.path)).not.toContain("/spec/containers/0/image");
        expect(
          res.json.response.warnings.some((w: string) =>
            w.startsWith("containers[web]: invalid image"),
          ),
        ).toBe(true);
      },
    );

    it("fails open with a warning, never 500, when the webhook itself fails", async () => {
      const broken = {
        labels: (): Record<string, string> => {
          throw new Error("cache exploded");
        },
      };
      h.state.publish({ table: h.state.current()!.table, namespaces: broken });

      const res = await send(loadReview("pod-create"));

      h.publish({ mirror: MIRROR_POLICY }, 2);
      expect(res.status).toBe(200);
      expect(res.json.response).toEqual({
        uid: "0b6a3c4e-7d1f-4f0a-9c57-2f0c1d0e9a01",
        allowed: true,
        warnings: ["imageswap failed on this request; images left unchanged"],
      });
      expect(
        await metricValue(h.metrics, "imageswap_admission_requests_total", {
          operation: "CREATE",
          result: "error",
        }),
      ).toBe(1);
      expect(
        h.lines.some(
          l => l.message === "admission failed; allowing unchanged" && l.level === "error",
        ),
      ).toBe(true);
    });
  });

  it("counts every rejected body as invalid and keeps serving", async () => {
    const invalid = await metricValue(h.metrics, "imageswap_admission_requests_total", {
      operation: "unknown",
      result: "invalid",
    });

    const res = await send(loadReview("pod-create"));

    expect(invalid).toBeGreaterThanOrEqual(12);
    expect(res.status).toBe(200);
    expect(patchOf(res).length).toBe(5);
  });
});
