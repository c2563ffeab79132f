import { jest } from "@jest/globals";
import { PassThrough } from "node:stream";
import { RetryableError, TerminalError } from "../../webhook/errors.js";
import { createLogger } from "../../webhook/telemetry/logger.js";
import { createMetrics, type Metrics } from "../../webhook/telemetry/metrics.js";
import { Controller, type Reconcile } from "./controller.js";

interface Harness {
  controller: Controller;
  metrics: Metrics;
  lines: () => Array<Record<string, unknown>>;
}

function harness(reconcile: Reconcile): Harness {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", chunk => chunks.push(String(chunk)));
  const log = createLogger({ level: "debug", stream });
  const metrics = createMetrics();
  const controller = new Controller({
    name: "test",
    reconcile,
    log,
    metrics,
    backoff: { initialMs: 100, maxMs: 1000 },
  });
  const lines = (): Array<Record<string, unknown>> =>
    chunks
      .join("")
      .split("\n")
      .filter(Boolean)
      .map(line => JSON.parse(line) as Record<string, unknown>);
  return { controller, metrics, lines };
}

async function count(metrics: Metrics, result: string): Promise<number> {
  const values = (await metrics.reconcileTotal.get()).values;
  return values.find(v => v.labels.result === result && v.labels.controller === "test")?.value ?? 0;
}

/** Lets queued microtasks (reconciles that resolve at once) run to completion. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe("Controller", () => {
  afterEach(() => jest.useRealTimers());

  it("reconciles a burst of events for one key once", async () => {
    const seen: string[] = [];
    const { controller, metrics } = harness(async key => {
      seen.push(key);
    });

    controller.enqueue("a");
    controller.enqueue("a");
    controller.enqueue("b");
    controller.enqueue("a");
    controller.start();
    await settle();
    await controller.stop();

    expect(seen).toEqual(["a", "b"]);
    expect(await count(metrics, "success")).toBe(2);
  });

  it("requeues after the requested delay", async () => {
    jest.useFakeTimers();
    let calls = 0;
    const { controller, metrics } = harness(async () => {
      calls += 1;
      return calls === 1 ? { requeueAfterMs: 5000 } : undefined;
    });

    controller.start();
    controller.enqueue("a");
    await jest.advanceTimersByTimeAsync(4999);
    const before = calls;
    await jest.advanceTimersByTimeAsync(1);
    await controller.stop();

    expect(before).toBe(1);
    expect(calls).toBe(2);
    expect(await count(metrics, "requeue_after")).toBe(1);
    expect(await count(metrics, "success")).toBe(1);
  });

  it("retries a retryable error with growing backoff, then succeeds", async () => {
    jest.useFakeTimers();
    const attempts: number[] = [];
    const { controller, metrics, lines } = harness(async () => {
      attempts.push(Date.now());
      if (attempts.length < 3) throw new RetryableError("apiserver unreachable");
    });

    controller.start();
    controller.enqueue("ns/a");
    await jest.advanceTimersByTimeAsync(1000);
    await controller.stop();

    expect(attempts.length).toBe(3);
    expect(attempts[1]! - attempts[0]!).toBe(100);
    expect(attempts[2]! - attempts[1]!).toBe(200);
    expect(await count(metrics, "error")).toBe(2);
    const retries = lines().filter(l => l.message === "reconcile failed, retrying");
    expect(retries.map(l => [l.namespace, l.name, l.attempt, l.level])).toEqual([
      ["ns", "a", 1, "warn"],
      ["ns", "a", 2, "warn"],
    ]);
  });

  it("does not retry a terminal error and logs it once at error", async () => {
    jest.useFakeTimers();
    let calls = 0;
    const { controller, lines } = harness(async () => {
      calls += 1;
      throw new TerminalError("spec cannot be applied");
    });

    controller.start();
    controller.enqueue("a");
    await jest.advanceTimersByTimeAsync(60_000);
    await controller.stop();

    expect(calls).toBe(1);
    const errors = lines().filter(l => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: "reconcile failed terminally", controller: "test" });
  });

  it("waits for the reconcile in flight on stop and drops queued keys", async () => {
    let release!: () => void;
    const seen: string[] = [];
    const { controller } = harness(
      key =>
        new Promise<void>(resolve => {
          seen.push(key);
          release = resolve;
        }),
    );
    controller.start();
    controller.enqueue("a");
    controller.enqueue("b");
    await settle();

    let stopped = false;
    const stopping = controller.stop().then(() => (stopped = true));
    await settle();
    const stoppedBeforeRelease = stopped;
    release();
    await stopping;

    expect(stoppedBeforeRelease).toBe(false);
    expect(seen).toEqual(["a"]);
  });

  it("counts the queue depth", async () => {
    const { controller, metrics } = harness(async () => undefined);

    controller.enqueue("a");
    controller.enqueue("b");
    const depth = (await metrics.queueDepth.get()).values[0]?.value;
    await controller.stop();

    expect(depth).toBe(2);
  });
});
