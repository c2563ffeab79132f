import { jest } from "@jest/globals";
import { WorkQueue } from "./work-queue.js";

describe("WorkQueue", () => {
  afterEach(() => jest.useRealTimers());

  it("collapses a key added several times while waiting", async () => {
    const queue = new WorkQueue();

    queue.add("a");
    queue.add("b");
    queue.add("a");

    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe("a");
    expect(await queue.get()).toBe("b");
  });

  it("queues a key added during processing again only after done", async () => {
    const queue = new WorkQueue();
    queue.add("a");
    const key = await queue.get();

    queue.add("a");
    const lengthWhileProcessing = queue.length;
    queue.done(key!);

    expect(lengthWhileProcessing).toBe(0);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe("a");
  });

  it("does not requeue a processed key nobody added again", async () => {
    const queue = new WorkQueue();
    queue.add("a");

    queue.done((await queue.get())!);

    expect(queue.length).toBe(0);
  });

  it("hands a key to a waiting get", async () => {
    const queue = new WorkQueue();

    const waiting = queue.get();
    queue.add("a");

    expect(await waiting).toBe("a");
  });

  it("adds a key after its delay", async () => {
    jest.useFakeTimers();
    const queue = new WorkQueue();

    queue.addAfter("a", 1000);
    await jest.advanceTimersByTimeAsync(999);
    const before = queue.length;
    await jest.advanceTimersByTimeAsync(1);

    expect(before).toBe(0);
    expect(queue.length).toBe(1);
  });

  it("backs off per key and starts over after forget", () => {
    jest.useFakeTimers();
    const queue = new WorkQueue({ initialMs: 100, maxMs: 250 });

    const delays = [1, 2, 3].map(() => queue.addRateLimited("a").delayMs);
    const other = queue.addRateLimited("b");
    queue.forget("a");
    const afterForget = queue.addRateLimited("a");

    expect(delays).toEqual([100, 200, 250]);
    expect(other).toEqual({ attempt: 1, delayMs: 100 });
    expect(afterForget).toEqual({ attempt: 1, delayMs: 100 });
  });

  it("releases waiters and ignores adds and timers after shutDown", async () => {
    jest.useFakeTimers();
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.addAfter("late", 10);

    queue.shutDown();
    queue.add("a");
    await jest.advanceTimersByTimeAsync(10);

    expect(await waiting).toBeUndefined();
    expect(await queue.get()).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });
});
