import { createDeps, runtimeEnvironmentFrom } from "../shared/runtime/context.js";
import type { AppDeps } from "../shared/usecases/deps.js";

let deps: AppDeps | undefined;

/** The process-wide dependencies, built on first use and kept for the life of the Lambda container. */
export function defaultDeps(): AppDeps {
  deps ??= createDeps(runtimeEnvironmentFrom(process.env));
  return deps;
}

export type DepsProvider = () => AppDeps;
