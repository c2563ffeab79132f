#!/usr/bin/env node
import type { CliIo } from "./io.js";
import { main } from "./cli.js";

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };
main(process.argv.slice(2), io).then(
  code => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`imageswap: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
