import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { TerminalError } from "../../webhook/errors.js";

/**
 * Process plumbing for the control plane. Every process is tracked by pid alone, so a handle
 * rebuilt from the state file (another jest worker, `cli.js down`) stops it as well as the
 * process that started it.
 */

/** How one control-plane process is started again, e.g. the apiserver after an outage test. */
export interface ProcessSpec {
  name: string;
  binary: string;
  args: string[];
  logFile: string;
}

/** Asks the kernel for a free loopback port (bind :0, read, close), as envtest does. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>(resolve => server.close(() => resolve()));
  if (address === null || typeof address === "string") {
    throw new TerminalError("loopback listener returned no port");
  }
  return address.port;
}

/**
 * Starts `spec` with stdout and stderr appended to its log file. Every process gets its own
 * process group and is unref'd: it outlives the starter (needed by `cli.js up` and by restarts
 * made inside a jest worker) and is stopped only through `stopProcess`.
 */
export function startProcess(spec: ProcessSpec): number {
  const log = openSync(spec.logFile, "a");
  try {
    const child = spawn(spec.binary, spec.args, {
      stdio: ["ignore", log, log],
      detached: true,
    });
    child.unref();
    // A spawn failure (ENOENT, EACCES) arrives as an 'error' event, which would crash the
    // process if unheard; the missing pid below already reports it.
    child.on("error", () => undefined);
    if (child.pid === undefined) {
      throw new TerminalError(`${spec.name} did not start: ${spec.binary} could not be spawned`);
    }
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as gone. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state letter follows the parenthesised command name, which may hold spaces.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** True when `pid` runs `binary`, so that a recycled pid is never signalled. */
export function isProcessOf(pid: number, binary: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.split("\0")[0] === binary && isRunning(pid);
  } catch {
    return false;
  }
}

/**
 * SIGTERM, wait up to `graceMs` for the exit, then SIGKILL. Resolves once the pid is gone.
 * A pid that no longer runs `binary` is left alone.
 */
export async function stopProcess(pid: number, binary: string, graceMs = 10_000): Promise<void> {
  if (!isProcessOf(pid, binary)) {
    return;
  }
  process.kill(pid, "SIGTERM");
  if (await waitForExit(pid, graceMs)) {
    return;
  }

  process.kill(pid, "SIGKILL");
  await waitForExit(pid, 5_000);
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) {
      return true;
    }
    await sleep(50);
  }
  return !isRunning(pid);
}

/** The last `lines` lines of a log file, for error messages about a process that died. */
export function tailFile(path: string, lines = 20): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface ReadinessOptions {
  /** What is awaited, for the error message. */
  what: string;
  pid: number;
  logFile: string;
  timeoutMs: number;
  /** Resolves true once ready; throwing counts as not ready yet. */
  probe: () => Promise<boolean>;
}

/**
 * Polls `probe` every 100 ms until it says ready. Fails at once when the process exits (with
 * the tail of its log, which names the bad flag or the port clash) or when time runs out.
 */
export async function waitUntilReady(options: ReadinessOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(options.pid)) {
      throw new TerminalError(
        `${options.what} exited before it was ready; log tail:\n${tailFile(options.logFile)}`,
      );
    }
    if (await options.probe().catch(() => false)) {
      return;
    }
    await sleep(100);
  }
  throw new TerminalError(
    `${options.what} not ready after ${options.timeoutMs} ms; log tail:\n${tailFile(options.logFile)}`,
  );
}
