import { ConfigError } from "../../webhook/errors.js";
import { OPTIONS, loadConfig, type Config, type OptionName } from "../config.js";
import type { CliIo } from "./io.js";
import { EXIT_OK, EXIT_USAGE } from "./io.js";

/** One `--help` line per option: flag, environment variable, default. */
export function optionRows(names: readonly OptionName[], flagWidth: number): string[] {
  return names
    .map(name => OPTIONS[name])
    .map(o => {
      const fallback = "default" in o ? ` (default ${JSON.stringify(o.default)})` : "";
      return `  --${o.flag.padEnd(flagWidth)} ${o.env}${fallback}`;
    });
}

export interface CommandConfigOptions {
  /** Command name, prefixed to each problem on stderr, e.g. `imageswap webhook`. */
  command: string;
  /** The options this command accepts; others are refused. */
  names: readonly OptionName[];
  help: () => string;
  /** Problems `loadConfig` cannot see, such as options needed together. */
  check?: (config: Config) => string[];
}

/**
 * Answers `--help`, or loads the command's configuration and reports every problem at once on
 * stderr. Returns the configuration, or the exit code when the command ends here.
 */
export function readCommandConfig(
  argv: string[],
  io: CliIo,
  o: CommandConfigOptions,
): Config | number {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(o.help());
    return EXIT_OK;
  }
  try {
    const { config } = loadConfig(argv, io.env, o.names);
    const problems = o.check?.(config) ?? [];
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) io.stderr.write(`${o.command}: ${problem}\n`);
    return EXIT_USAGE;
  }
}
