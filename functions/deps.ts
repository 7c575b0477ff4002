import { createRequire } from "node:module";
import { isRequestXRaySampled } from "@aws-lambda-powertools/commons/utils/env";
import type { Tracer } from "@aws-lambda-powertools/tracer";
import type { Analysis } from "../shared/runtime/analysis.js";
import { createAppDeps, type VisionSelector } from "../shared/runtime/app-deps.js";
import { runtimeEnvironmentFrom, type RuntimeEnvironment } from "../shared/runtime/environment.js";
import type { AppDeps } from "../shared/usecases/deps.js";
import type { VisionProvider } from "../shared/vision/provider.js";
import { cloudWatchTelemetry, inLambda } from "./observability.js";

let deps: AppDeps | undefined;

/**
 * X-Ray: every AWS SDK call and every provider call of a sampled request is a subsegment (Lambda
 * only; tracing is off elsewhere). Powertools' tracer, and the X-Ray SDK under it (about a tenth of a
 * small function's load), is loaded by the first request Lambda samples, not at start: a request
 * that is not sampled records nothing and needs neither. The AWS clients made before then are
 * instrumented then.
 */
class LazyTracing {
  private tracer?: Tracer;
  private readonly clients: object[] = [];

  /** The tracer, loaded now if this request is the first one sampled; undefined while none has been. */
  forRequest(): Tracer | undefined {
    if (!this.tracer && inLambda && isRequestXRaySampled()) {
      this.tracer = new (loadTracerModule().Tracer)({ serviceName: "photo-analysis" });
      for (const client of this.clients.splice(0)) this.tracer.captureAWSv3Client(client as never);
    }
    return this.tracer;
  }

  /** Instruments an AWS SDK client, now or when the tracer loads (X-Ray adds a middleware to the client's stack). */
  client<T>(client: T): T {
    if (this.tracer) this.tracer.captureAWSv3Client(client as never);
    else if (inLambda) this.clients.push(client as object);
    return client;
  }

  get current(): Tracer | undefined {
    return this.tracer;
  }
}

/**
 * require, not import: esbuild bundles a require() into the Lambda bundle as a module that runs when
 * first called (an import would run at start), and LazyTracing needs it synchronously. Where this
 * source runs unbundled as ESM without a require, the package comes from node_modules.
 */
function loadTracerModule(): typeof import("@aws-lambda-powertools/tracer") {
  return typeof require === "function" ? require("@aws-lambda-powertools/tracer") : createRequire(import.meta.url)("@aws-lambda-powertools/tracer");
}

const tracing = new LazyTracing();

/** Each provider call of a sampled request is a subsegment. */
function tracedSelector(selector: VisionSelector, tracing: LazyTracing): VisionSelector {
  return async (settings) => tracedProvider(await selector(settings), tracing);
}

function tracedProvider(provider: VisionProvider, tracing: LazyTracing): VisionProvider {
  return {
    get name() {
      return provider.name;
    },
    englishOnly: provider.englishOnly,
    warmUp: provider.warmUp?.bind(provider),
    close: provider.close?.bind(provider),
    async analyze(input) {
      const active = tracing.current;
      if (!active) return provider.analyze(input);
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
 * The Lambda composition root: the process's dependencies (createAppDeps), built from the environment
 * on first use and kept for the life of the container, with tracing and CloudWatch metrics. The
 * analysing functions pass `analysis` (createAnalysis: only their bundles carry the vision code);
 * every other function gets none.
 */
export function lambdaDeps(analysis?: (runtime: RuntimeEnvironment, env: NodeJS.ProcessEnv) => Analysis): AppDeps {
  // Every handler asks for its dependencies as its request starts: the moment to see whether Lambda sampled it.
  tracing.forRequest();
  if (!deps) {
    const runtime = runtimeEnvironmentFrom(process.env);
    const parts = analysis?.(runtime, process.env);
    deps = createAppDeps({
      runtime,
      env: process.env,
      ...parts,
      vision: parts && inLambda ? tracedSelector(parts.vision, tracing) : parts?.vision,
      instrumentation: { awsClient: inLambda ? (client) => tracing.client(client) : undefined, telemetry: cloudWatchTelemetry },
    });
  }
  return deps;
}

/** For the read-only and cleanup functions. */
export const defaultDeps = (): AppDeps => lambdaDeps();

export type DepsProvider = () => AppDeps;
