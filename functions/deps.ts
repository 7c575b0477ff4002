import { createDeps, runtimeEnvironmentFrom, type RuntimeEnvironment, type VisionSelector } from "../shared/runtime/context.js";
import type { AppDeps } from "../shared/usecases/deps.js";

let deps: AppDeps | undefined;

/**
 * The Lambda composition root: the process's dependencies, built from the environment on first use
 * and kept for the life of the container. The upload function passes its vision selector (only its
 * bundle carries the vision code); every other function gets none.
 */
export function lambdaDeps(vision?: (runtime: RuntimeEnvironment, env: NodeJS.ProcessEnv) => VisionSelector): AppDeps {
  if (!deps) {
    const runtime = runtimeEnvironmentFrom(process.env);
    deps = createDeps(runtime, process.env, vision?.(runtime, process.env));
  }
  return deps;
}

/** For the read-only and cleanup functions. */
export const defaultDeps = (): AppDeps => lambdaDeps();

export type DepsProvider = () => AppDeps;
