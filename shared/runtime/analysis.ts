import { availableParallelism } from "node:os";
import { HeicWorkers } from "../image/heic.js";
import { InferencePool } from "../inference/pool.js";
import { createModeratorSelector } from "../moderation/select.js";
import { createProviderSelector } from "../vision/select.js";
import type { AppDepsOptions } from "./app-deps.js";
import type { RuntimeEnvironment } from "./environment.js";
import { createSecretReader } from "./secrets.js";

/*
 * What analysing photos adds to createAppDeps (app-deps.ts): the vision selector, the moderator, and
 * the threads they and HEIC decoding run in. Only the analysing runtimes import this module (the
 * upload and worker functions, npm start, the analyze CLI, the tests), so the other functions'
 * bundles carry no vision code.
 */

/**
 * Threads for local inference: PHOTO_ANALYSIS_LOCAL_WORKERS, else one per core up to two; none in
 * Lambda (one vCPU at the upload function's memory, and a worker would only add start-up time).
 */
function localWorkers(env: NodeJS.ProcessEnv): number {
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
function decodeWorkers(env: NodeJS.ProcessEnv): number {
  if (env.PHOTO_ANALYSIS_DECODE_WORKERS !== undefined && env.PHOTO_ANALYSIS_DECODE_WORKERS !== "")
    return Math.max(0, Math.floor(Number(env.PHOTO_ANALYSIS_DECODE_WORKERS)) || 0);
  return env.AWS_LAMBDA_FUNCTION_NAME ? 0 : 1;
}

/** The options an analysing runtime passes to createAppDeps. */
export type Analysis = Required<Pick<AppDepsOptions, "vision" | "moderation" | "dispose">> & Pick<AppDepsOptions, "heicDecoder">;

/**
 * Vision and moderation for this runtime: API keys from SSM SecureStrings in AWS, else the
 * environment; moderation's `auto` means Rekognition when deployed by the stack (live settings in
 * SSM). The local vision models and the local moderation model share one pool of threads (none in
 * Lambda: they run on the calling thread); HEIC is decoded in threads of its own (stopped when idle:
 * they hold no models, and their memory goes back). `dispose` stops them all.
 */
export function createAnalysis(runtime: RuntimeEnvironment, env: NodeJS.ProcessEnv = process.env): Analysis {
  const workers = localWorkers(env);
  const pool = workers > 0 ? new InferencePool({ size: workers }) : undefined;
  const vision = createProviderSelector({
    secrets: createSecretReader(runtime, env),
    baseUrls: runtime.providerBaseUrls,
    modulePaths: (env.NODE_PATH ?? "").split(":").filter(Boolean),
    localPool: pool,
  });
  const moderation = createModeratorSelector({
    secrets: createSecretReader(runtime, env),
    openaiBaseUrl: runtime.providerBaseUrls?.openai,
    inAws: Boolean(runtime.ssmPrefix),
    region: runtime.region,
    localPool: pool,
  });
  const decoders = decodeWorkers(env);
  const heicDecoder = decoders > 0 ? new HeicWorkers({ size: decoders }) : undefined;
  return {
    vision,
    moderation,
    heicDecoder,
    dispose: async () => {
      await Promise.all([vision.dispose(), moderation.dispose()]);
      await Promise.all([pool?.close(), heicDecoder?.close()]);
    },
  };
}
