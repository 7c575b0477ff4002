import { availableParallelism } from "node:os";
import { LiveSettings } from "../config/sources.js";
import type { AppDeps } from "../usecases/deps.js";
import { HeicWorkers } from "../image/heic.js";
import { createModeratorSelector, type ModeratorSelector } from "../moderation/select.js";
import { InferencePool } from "../inference/pool.js";
import { createProviderSelector } from "../vision/select.js";
import { createConfigSource } from "./config-source.js";
import { createDeps, type VisionSelector } from "./context.js";
import type { RuntimeEnvironment } from "./environment.js";
import { createSecretReader } from "./secrets.js";

/**
 * Threads for local inference: PHOTO_ANALYSIS_LOCAL_WORKERS, else one per core up to two; none in
 * Lambda (one vCPU at the upload function's memory, and a worker would only add start-up time).
 */
export function localWorkers(env: NodeJS.ProcessEnv): number {
  if (env.PHOTO_ANALYSIS_LOCAL_WORKERS !== undefined && env.PHOTO_ANALYSIS_LOCAL_WORKERS !== "")
    return Math.max(0, Math.floor(Number(env.PHOTO_ANALYSIS_LOCAL_WORKERS)) || 0);
  if (env.AWS_LAMBDA_FUNCTION_NAME) return 0;
  return Math.min(2, availableParallelism());
}

/**
 * Threads for HEIC decoding (libheif is synchronous WebAssembly): PHOTO_ANALYSIS_DECODE_WORKERS, else
 * one; none in Lambda, where an instance serves one request at a time (a busy event loop delays no
 * one), a worker would add its start-up to every HEIC, and the calling thread decodes one photo at a
 * time within the HEIC pixel budget (shared/image/heic.ts).
 */
export function decodeWorkers(env: NodeJS.ProcessEnv): number {
  if (env.PHOTO_ANALYSIS_DECODE_WORKERS !== undefined && env.PHOTO_ANALYSIS_DECODE_WORKERS !== "")
    return Math.max(0, Math.floor(Number(env.PHOTO_ANALYSIS_DECODE_WORKERS)) || 0);
  return env.AWS_LAMBDA_FUNCTION_NAME ? 0 : 1;
}

/** The local models' worker threads (started on first use), or none when they run on the calling thread. */
function localInferencePool(env: NodeJS.ProcessEnv): InferencePool | undefined {
  const workers = localWorkers(env);
  return workers > 0 ? new InferencePool({ size: workers }) : undefined;
}

/**
 * The vision provider selector for this runtime: keys from SSM SecureStrings in AWS, else the
 * environment. `localPool`: the threads the local models run in (none: the calling thread, as in Lambda).
 */
export function createVisionSelector(
  runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "region" | "providerBaseUrls">,
  env: NodeJS.ProcessEnv = process.env,
  localPool?: InferencePool,
): VisionSelector & { dispose(): Promise<void> } {
  return createProviderSelector({
    secrets: createSecretReader(runtime, env),
    baseUrls: runtime.providerBaseUrls,
    modulePaths: (env.NODE_PATH ?? "").split(":").filter(Boolean),
    localPool,
  });
}

/**
 * The content moderator for this runtime: `auto` means Rekognition when deployed by the stack (live
 * settings in SSM). `localPool`: as for createVisionSelector, shared with it where both run locally.
 */
export function createModeration(
  runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "region" | "providerBaseUrls" | "awsTimeoutMs">,
  env: NodeJS.ProcessEnv = process.env,
  localPool?: InferencePool,
): ModeratorSelector {
  return createModeratorSelector({
    secrets: createSecretReader(runtime, env),
    openaiBaseUrl: runtime.providerBaseUrls?.openai,
    inAws: Boolean(runtime.ssmPrefix),
    region: runtime.region,
    localPool,
  });
}

/**
 * Everything, vision and moderation included: the upload function, the local server and the tests.
 * The local vision models and the local moderation model share one pool of threads; HEIC is decoded
 * in threads of its own (stopped when idle: they hold no models, and their memory goes back).
 */
export function createDepsWithVision(runtime: RuntimeEnvironment, env: NodeJS.ProcessEnv = process.env): AppDeps {
  const pool = localInferencePool(env);
  const selector = createVisionSelector(runtime, env, pool);
  const moderator = createModeration(runtime, env, pool);
  const decoders = decodeWorkers(env);
  const heicDecoder = decoders > 0 ? new HeicWorkers({ size: decoders }) : undefined;
  return {
    ...createDeps(runtime, env, selector),
    moderator,
    textModerator: moderator.texts,
    heicDecoder,
    dispose: async () => {
      await Promise.all([selector.dispose(), moderator.dispose()]);
      await Promise.all([pool?.close(), heicDecoder?.close()]);
    },
  };
}

/** Settings and the vision provider alone: enough for the `analyze` CLI, which stores nothing. */
export function createVisionDeps(
  runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "configFile" | "providerBaseUrls" | "region">,
  env: NodeJS.ProcessEnv = process.env,
): Pick<AppDeps, "settings" | "visionProvider" | "moderator"> {
  const settings = new LiveSettings(createConfigSource(runtime, env));
  const pool = localInferencePool(env);
  return {
    settings: () => settings.get(),
    visionProvider: createVisionSelector(runtime, env, pool),
    moderator: createModeration({ ...runtime, awsTimeoutMs: undefined }, env, pool),
  };
}
