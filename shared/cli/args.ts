import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * parseArgs for the operator commands, with a friendly failure: an unknown flag or a missing value
 * prints one line and the usage, and exits 2 (no stack trace).
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    console.error(`error: ${(error as Error).message.split("\n")[0]}`);
    console.error(usage);
    process.exit(2);
  }
}

/** Ends a command with one line instead of a stack trace for errors the operator can fix. */
export function fail(message: string, code = 2): never {
  console.error(`error: ${message}`);
  process.exit(code);
}
