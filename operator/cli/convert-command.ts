import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { compile, policyFromMapFile } from "../../webhook/swap/index.js";
import type { CliIo } from "./io.js";
import { EXIT_OK, EXIT_USAGE } from "./io.js";
import { loadMapFile, policyNameOf, reportDiagnostics } from "./swap-command.js";

const HELP = `Usage: imageswap convert --map-file FILE [--name NAME]

Prints an ImageSwapPolicy (YAML) that swaps exactly as the map file does. Lines the predecessor
would skip are warnings on stderr; a line that cannot compile fails with exit status 2.

Options:
  --map-file FILE   a map file of the predecessor (phenixblue/imageswap-webhook, MAPS mode)
  --name NAME       metadata.name of the policy (default: from the file name)
`;

const POLICY_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function parseFlags(argv: string[], io: CliIo): { file: string; name?: string } | number {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        "map-file": { type: "string" },
        name: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (err) {
    io.stderr.write(`imageswap convert: ${(err as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT_OK;
  }
  const file = values["map-file"];
  if (file === undefined) {
    io.stderr.write(`imageswap convert: --map-file is required\n\n${HELP}`);
    return EXIT_USAGE;
  }
  if (values.name !== undefined && !POLICY_NAME.test(values.name)) {
    io.stderr.write(`imageswap convert: --name "${values.name}" is not a valid object name\n`);
    return EXIT_USAGE;
  }
  return { file, name: values.name };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, io);
  if (typeof flags === "number") return flags;

  let source;
  try {
    source = await loadMapFile(flags.file);
  } catch (err) {
    io.stderr.write(`imageswap convert: ${(err as Error).message}\n`);
    return EXIT_USAGE;
  }

  // Compiling the map file itself keeps its line numbers in every diagnostic.
  const { reports } = compile(source.inputs, 0);
  if (reportDiagnostics(reports, [source], io)) return EXIT_USAGE;

  const name = flags.name ?? policyNameOf(flags.file);
  const { input } = policyFromMapFile(source.inputs[0]?.spec.mapFile ?? "", name);
  const policy = {
    apiVersion: "k8s.twr.io/v1alpha1",
    kind: "ImageSwapPolicy",
    metadata: { name },
    spec: input.spec,
  };
  io.stdout.write(`# Converted from ${flags.file} by imageswap convert.\n`);
  io.stdout.write(stringify(policy, { lineWidth: 0 }));
  return EXIT_OK;
}
