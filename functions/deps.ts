import { createDeps, runtimeEnvironmentFrom } from "../shared/runtime/context.js";
import type { AppDeps } from "../shared/usecases/deps.js";

let deps: AppDeps | undefined;

/**
 * The process-wide dependencies of a read-only or cleanup function, built on first use and kept
 * for the life of the Lambda container. The upload function builds its own, with vision.
 */
export function defaultDeps(): AppDeps {
  deps ??= createDeps(runtimeEnvironmentFrom(process.env));
  return deps;
}

export type DepsProvider = () => AppDeps;
