import { backoffDelayMs, type BackoffOptions } from "../k8s/backoff.js";

/**
 * A level-based work queue of object keys, in the manner of client-go's workqueue:
 *
 * - a key is queued at most once: adding it again while it waits is a no-op, so a burst of
 *   events for one object becomes one reconcile of its latest state;
 * - a key is never handed to two workers at once: added while being processed, it is queued
 *   again when `done(key)` is called;
 * - `addRateLimited` delays a key by its own capped exponential backoff, reset by `forget`.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;

  constructor(private readonly backoff: BackoffOptions = {}) {}

  /** Keys waiting to be handed out (not those being processed). */
  get length(): number {
    return this.queue.length;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;

    const waiter = this.waiters.shift();
    if (waiter) this.handOut(key, waiter);
    else this.queue.push(key);
  }

  /** Adds `key` after `delayMs`; collapses with any add that happens meanwhile. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.add(key);
    }, delayMs);
    this.timers.add(timer);
  }

  /** Adds `key` after its next backoff delay; returns that failure count and delay. */
  addRateLimited(key: string): { attempt: number; delayMs: number } {
    const attempt = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempt);
    const delayMs = backoffDelayMs(attempt, this.backoff);
    this.addAfter(key, delayMs);
    return { attempt, delayMs };
  }

  /** Clears the key's failure count: its next failure starts the backoff over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Waits for the next key; resolves `undefined` once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise(resolve => this.waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile, it is queued again now. */
  done(key: string): void {
    this.processing.delete(key);
    if (!this.dirty.has(key) || this.shuttingDown) return;

    const waiter = this.waiters.shift();
    if (waiter) this.handOut(key, waiter);
    else this.queue.push(key);
  }

  /** Drops waiting keys and timers; pending and future `get()` calls resolve `undefined`. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.dirty.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter(undefined);
  }

  private handOut(key: string, waiter: (key: string) => void): void {
    this.dirty.delete(key);
    this.processing.add(key);
    waiter(key);
  }
}
