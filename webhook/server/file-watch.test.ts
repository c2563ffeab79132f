import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import { createSilentLogger } from "../telemetry/logger.js";
import { FileWatch } from "./file-watch.js";

describe("FileWatch", () => {
  let dir: string;
  const log = createSilentLogger();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "file-watch-"));
    await writeFile(join(dir, "a"), "one");
    await writeFile(join(dir, "b"), "two");
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads every file at open, in order", async () => {
    const { watch, texts } = await FileWatch.open({
      paths: [join(dir, "b"), join(dir, "a")],
      onChange: () => {},
      log,
    });

    expect(texts).toEqual(["two", "one"]);
    watch.close();
  });

  it("names every file it cannot read at open", async () => {
    const open = FileWatch.open({
      paths: [join(dir, "x"), join(dir, "a"), join(dir, "y")],
      onChange: () => {},
      log,
    });

    await expect(open).rejects.toThrow(ConfigError);
    await expect(open).rejects.toThrow(/x: cannot read: ENOENT; .*y: cannot read: ENOENT/);
  });

  it("delivers all files when one changes, and nothing when the bytes are equal", async () => {
    const seen: string[][] = [];
    const { watch } = await FileWatch.open({
      paths: [join(dir, "a"), join(dir, "b")],
      onChange: t => seen.push(t),
      log,
    });

    await watch.reload();
    await writeFile(join(dir, "b"), "two");
    await watch.reload();
    await writeFile(join(dir, "b"), "three");
    await watch.reload();

    expect(seen).toEqual([["one", "three"]]);
    watch.close();
  });

  it("keeps the last content while a file is missing and picks it up when it returns", async () => {
    const seen: string[][] = [];
    const { watch } = await FileWatch.open({
      paths: [join(dir, "a")],
      onChange: t => seen.push(t),
      log,
    });

    await rm(join(dir, "a"));
    await watch.reload();
    await writeFile(join(dir, "a"), "again");
    await watch.reload();

    expect(seen).toEqual([["again"]]);
    watch.close();
  });

  it("notices a symlink-style swap through the directory watch", async () => {
    let changed!: (texts: string[]) => void;
    const change = new Promise<string[]>(resolve => (changed = resolve));
    const { watch } = await FileWatch.open({
      paths: [join(dir, "a")],
      onChange: t => changed(t),
      log,
      pollMs: 3_600_000,
    });
    watch.start();

    await writeFile(join(dir, "a.new"), "swapped");
    await rename(join(dir, "a.new"), join(dir, "a"));

    expect(await change).toEqual(["swapped"]);
    watch.close();
  });

  it("notices a change by polling when no event comes", async () => {
    let changed!: (texts: string[]) => void;
    const change = new Promise<string[]>(resolve => (changed = resolve));
    const { watch } = await FileWatch.open({
      paths: [join(dir, "a")],
      onChange: t => changed(t),
      log,
      pollMs: 20,
    });
    // Only the poll is running: the watch is never started for this directory.
    const poll = setInterval(() => void watch.reload(), 20);

    await writeFile(join(dir, "a"), "polled");

    expect(await change).toEqual(["polled"]);
    clearInterval(poll);
    watch.close();
  });
});
