import { jest } from "@jest/globals";
import { backoffDelayMs, sleep } from "./backoff.js";

describe("backoffDelayMs", () => {
  it.each([
    [0, 0],
    [1, 500],
    [2, 1000],
    [3, 2000],
    [7, 30_000],
    [1000, 30_000],
  ])("waits the default schedule after %i failures: %i ms", (failures, expected) => {
    expect(backoffDelayMs(failures)).toBe(expected);
  });

  it("follows custom initial, factor and cap", () => {
    const options = { initialMs: 10, factor: 3, maxMs: 100 };

    const delays = [1, 2, 3, 4].map(n => backoffDelayMs(n, options));

    expect(delays).toEqual([10, 30, 90, 100]);
  });
});

describe("sleep", () => {
  afterEach(() => jest.useRealTimers());

  it("resolves after the delay", async () => {
    jest.useFakeTimers();
    let done = false;

    const waiting = sleep(1000).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(999);
    const early = done;
    await jest.advanceTimersByTimeAsync(1);
    await waiting;

    expect(early).toBe(false);
    expect(done).toBe(true);
  });

  it("resolves at once when the signal aborts", async () => {
    jest.useFakeTimers();
    const abort = new AbortController();

    const waiting = sleep(60_000, abort.signal);
    abort.abort();
    await waiting;

    expect(jest.getTimerCount()).toBe(0);
  });
});
