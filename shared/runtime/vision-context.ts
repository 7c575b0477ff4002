import { LiveSettings } from "../config/sources.js";
import type { AppDeps } from "../usecases/deps.js";
import { createProviderSelector } from "../vision/select.js";
import { createConfigSource, createDeps, createSecretReader, type RuntimeEnvironment, type VisionSelector } from "./context.js";

/** The vision provider selector for this runtime: keys from SSM SecureStrings in AWS, else the environment. */
export function createVisionSelector(
  runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "region" | "openaiBaseUrl" | "anthropicBaseUrl" | "geminiBaseUrl">,
  env: NodeJS.ProcessEnv = process.env,
): VisionSelector {
  return createProviderSelector({
    secrets: createSecretReader(runtime, env),
    openaiBaseUrl: runtime.openaiBaseUrl,
    anthropicBaseUrl: runtime.anthropicBaseUrl,
    geminiBaseUrl: runtime.geminiBaseUrl,
    modulePaths: (env.NODE_PATH ?? "").split(":").filter(Boolean),
  });
}

/** Everything, vision included: the upload function, the local server and the tests. */
export function createDepsWithVision(runtime: RuntimeEnvironment, env: NodeJS.ProcessEnv = process.env): AppDeps {
  return createDeps(runtime, env, createVisionSelector(runtime, env));
}

/** Settings and the vision provider alone: enough for the `analyze` CLI, which stores nothing. */
export function createVisionDeps(
  runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "configFile" | "openaiBaseUrl" | "anthropicBaseUrl" | "geminiBaseUrl" | "region">,
  env: NodeJS.ProcessEnv = process.env,
): Pick<AppDeps, "settings" | "visionProvider"> {
  const settings = new LiveSettings(createConfigSource(runtime, env));
  return { settings: () => settings.get(), visionProvider: createVisionSelector(runtime, env) };
}
