import type { CliIo, Command } from "./io.js";
import { EXIT_USAGE } from "./io.js";

const HELP = `imageswap: rewrite Pod images to the registries a cluster should pull from

Usage: imageswap <command> [options]

Commands:
  operator   run in a cluster: watch ImageSwapPolicies, serve the webhook, own cert and config
  webhook    serve the webhook standalone from policy or map files (no cluster access)
  swap       explain and test swaps offline: imageswap swap --policy FILE IMAGE...
  convert    turn a predecessor map file into ImageSwapPolicy YAML

Run 'imageswap <command> --help' for a command's options.
`;

// Loaded lazily so that `swap` and `convert` start without the Kubernetes client.
const COMMANDS: Record<string, () => Promise<Command>> = {
  operator: async () => (await import("./operator-command.js")).run,
  webhook: async () => (await import("./webhook-command.js")).run,
  swap: async () => (await import("./swap-command.js")).run,
  convert: async () => (await import("./convert-command.js")).run,
};

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(HELP);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`imageswap: unknown command "${name}"\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const command = await load();
  return command(rest, io);
}
