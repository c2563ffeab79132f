import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ConfigError } from "../errors.js";
import type { Logger } from "../telemetry/logger.js";
import { errorFields } from "../telemetry/logger.js";

/** controller-runtime's certificate watcher polls this often besides watching. */
export const DEFAULT_POLL_MS = 10_000;
// Editors and kubelet write a file in several steps; events within this window read once.
const SETTLE_MS = 100;

export interface FileWatchOptions {
  /** Read together: a change to any of them delivers all of them (a cert and its key). */
  paths: readonly string[];
  /** Receives every file's text, in `paths` order, whenever any byte changed. */
  onChange: (texts: string[]) => void;
  log: Logger;
  /** @default 10000 */
  pollMs?: number;
  /** Watch the directories besides polling; off where inotify does not work (some network filesystems). @default true */
  watchDirectories?: boolean;
}

async function readAll(paths: readonly string[]): Promise<Buffer[]> {
  return Promise.all(paths.map(path => readFile(path)));
}

/**
 * Files reloaded when they change, as controller-runtime's certwatcher does: watch each file's
 * directory (a mounted Secret swaps a `..data` symlink, which orphans a watch on the file itself)
 * and also poll, and let both call one `reload()` that compares bytes with the last read.
 */
export class FileWatch {
  private watchers: FSWatcher[] = [];
  private poller: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  private constructor(
    private readonly o: FileWatchOptions,
    private last: Buffer[],
  ) {}

  /**
   * Reads the files once; starts nothing yet.
   * @throws ConfigError naming every file that cannot be read
   */
  static async open(o: FileWatchOptions): Promise<{ watch: FileWatch; texts: string[] }> {
    const results = await Promise.allSettled(o.paths.map(path => readFile(path)));
    const problems = results.flatMap((r, i) =>
      r.status === "rejected"
        ? [`${o.paths[i]}: cannot read: ${(r.reason as NodeJS.ErrnoException).code ?? r.reason}`]
        : [],
    );
    if (problems.length > 0) throw new ConfigError(problems);
    const buffers = results.map(r => (r as PromiseFulfilledResult<Buffer>).value);
    return { watch: new FileWatch(o, buffers), texts: buffers.map(b => b.toString("utf8")) };
  }

  /** Starts the directory watches and the poll; `onChange` runs from now on. */
  start(): void {
    const dirs = this.o.watchDirectories === false ? [] : this.o.paths.map(path => dirname(path));
    for (const dir of new Set(dirs)) {
      const watcher = watch(dir, () => this.schedule());
      watcher.on("error", err =>
        this.o.log.warn("file watch failed; polling only", { dir, err: errorFields(err) }),
      );
      this.watchers.push(watcher);
    }
    this.poller = setInterval(() => void this.reload(), this.o.pollMs ?? DEFAULT_POLL_MS);
    this.poller.unref();
  }

  /** Re-reads now; resolves once the read (and `onChange`, if anything changed) is done. */
  reload(): Promise<void> {
    if (this.running) {
      // A change that lands during a read must not be lost: read once more afterwards.
      this.again = true;
      return this.running;
    }
    this.running = this.readAndCompare().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    });
    return this.running;
  }

  close(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    clearInterval(this.poller);
    clearTimeout(this.settle);
  }

  private schedule(): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => void this.reload(), SETTLE_MS);
    this.settle.unref();
  }

  private async readAndCompare(): Promise<void> {
    let next: Buffer[];
    try {
      next = await readAll(this.o.paths);
    } catch (err) {
      // Mid-rotation a file can be briefly missing; the next event or poll reads it again.
      this.o.log.warn("file reload failed; keeping the last content", {
        paths: this.o.paths,
        err: errorFields(err),
      });
      return;
    }
    if (next.every((buffer, i) => buffer.equals(this.last[i]!))) return;
    this.last = next;
    this.o.onChange(next.map(b => b.toString("utf8")));
  }
}
