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
  const inLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  // Local models: one thread per core up to two; none in Lambda (one vCPU at the upload function's
  // memory, and a worker would only add start-up time).
  const workers = runtime.localWorkers ?? (inLambda ? 0 : Math.min(2, availableParallelism()));
  const pool = workers > 0 ? new InferencePool({ size: workers }) : undefined;
  // One reader for both: a key they share (OpenAI's) is read from SSM once per refresh, not twice.
  const secrets = createSecretReader(runtime, env);
  const vision = createProviderSelector({
    secrets,
    baseUrls: runtime.providerBaseUrls,
    modulePaths: (env.NODE_PATH ?? "").split(":").filter(Boolean),
    localPool: pool,
  });
  const moderation = createModeratorSelector({
    secrets,
    openaiBaseUrl: runtime.providerBaseUrls?.openai,
    inAws: Boolean(runtime.ssmPrefix),
    region: runtime.region,
    localPool: pool,
  });
  // HEIC (libheif is synchronous WebAssembly): one thread; none in Lambda, where an instance serves one
  // request at a time (a busy event loop delays no one), a worker would add its start-up to every HEIC,
  // and the calling thread decodes one photo at a time within the HEIC pixel budget (image/heic.ts).
  const decoders = runtime.decodeWorkers ?? (inLambda ? 0 : 1);
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
