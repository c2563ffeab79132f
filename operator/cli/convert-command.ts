import type { CliIo } from "./io.js";
import { EXIT_FAILURE } from "./io.js";

// Placeholder until the owning issue lands; replaced, not extended.
export async function run(_argv: string[], io: CliIo): Promise<number> {
  io.stderr.write("imageswap convert: not implemented yet\n");
  return EXIT_FAILURE;
}
