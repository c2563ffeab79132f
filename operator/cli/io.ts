/** Streams a command writes to; tests pass buffers. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The environment, handed to the config loader (the only reader of it). */
  env: NodeJS.ProcessEnv;
}

/** A subcommand: resolves to the process exit code; long-running ones resolve on shutdown. */
export type Command = (argv: string[], io: CliIo) => Promise<number>;

/** Exit codes shared by every subcommand. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Unreadable or invalid input file, bad flags. */
export const EXIT_USAGE = 2;
