import { Tracer } from "@aws-lambda-powertools/tracer";
import { createDeps, runtimeEnvironmentFrom, type RuntimeEnvironment, type VisionSelector } from "../shared/runtime/context.js";
import type { ModeratorSelector } from "../shared/moderation/select.js";
import type { AppDeps } from "../shared/usecases/deps.js";
import type { VisionProvider } from "../shared/vision/provider.js";
import { cloudWatchTelemetry, inLambda } from "./observability.js";

let deps: AppDeps | undefined;

/** X-Ray: every AWS SDK call and every provider call is a subsegment (Lambda only; tracing is off elsewhere). */
const tracer = inLambda ? new Tracer({ serviceName: "photo-analysis" }) : undefined;

function tracedProvider(provider: VisionProvider, active: Tracer): VisionProvider {
  return {
    get name() {
      return provider.name;
    },
    englishOnly: provider.englishOnly,
    warmUp: provider.warmUp?.bind(provider),
    close: provider.close?.bind(provider),
    async analyze(input) {
      const parent = active.getSegment();
      const subsegment = parent?.addNewSubsegment(`vision ${provider.name}`);
      if (subsegment) active.setSegment(subsegment);
      try {
        return await provider.analyze(input);
      } catch (error) {
        subsegment?.addError(error as Error);
        throw error;
      } finally {
        subsegment?.close();
        if (parent) active.setSegment(parent);
      }
    },
  };
}

/**
 * The Lambda composition root: the process's dependencies, built from the environment on first use
 * and kept for the life of the container, with tracing and CloudWatch metrics. The upload function
 * passes its vision selector (only its bundle carries the vision code); every other function gets none.
 */
export function lambdaDeps(
  vision?: (runtime: RuntimeEnvironment, env: NodeJS.ProcessEnv) => VisionSelector,
  moderation?: (runtime: RuntimeEnvironment, env: NodeJS.ProcessEnv) => ModeratorSelector,
): AppDeps {
  if (!deps) {
    const runtime = runtimeEnvironmentFrom(process.env);
    const selector = vision?.(runtime, process.env);
    const active = tracer;
    const tracedSelector: VisionSelector | undefined = selector && active ? async (settings) => tracedProvider(await selector(settings), active) : selector;
    deps = createDeps(runtime, process.env, tracedSelector, {
      awsClient: active ? (client) => active.captureAWSv3Client(client as never) as typeof client : undefined,
      telemetry: cloudWatchTelemetry,
    });
    if (moderation) {
      const moderator = moderation(runtime, process.env);
      deps.moderator = moderator;
      deps.textModerator = moderator.texts;
    }
  }
  return deps;
}

/** For the read-only and cleanup functions. */
export const defaultDeps = (): AppDeps => lambdaDeps();

export type DepsProvider = () => AppDeps;
