import { createHmac, randomBytes } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { TelemetryEvent, Telemetry } from "../shared/usecases/deps.js";

/**
 * Logs, metrics and traces for the functions, with Powertools for AWS Lambda:
 * - one log line per request (route, status, ms, cached, provider, model, request ids; the client's
 *   address only as a keyed pseudonym, no secrets): JSON through Powertools' Logger in Lambda (with cold start
 *   and the Lambda request id), a readable line elsewhere (`npm start`, tests);
 * - metrics as CloudWatch EMF (namespace PhotoAnalysis), flushed at the end of each request;
 * - traces: the Lambda composition root (deps.ts) wraps the AWS SDK clients and provider calls.
 */

export const inLambda = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

export interface RequestLog {
  /** Whether a request with this status is logged (the line is only built then). */
  logs(status: number): boolean;
  request(line: RequestLine): void;
}

export interface RequestLine {
  route: string;
  status: number;
  ms: number;
  requestId: string;
  client?: string;
  cached?: boolean;
  provider?: string;
  model?: string;
  code?: string;
  /** Async work: the job or batch the request queued. */
  job?: string;
  batch?: string;
}

type LogFields = Pick<RequestLine, "cached" | "provider" | "model" | "job" | "batch">;

const annotations = new WeakMap<object, LogFields>();

/** What a handler tells the request line about its answer (cache, provider, model), without the log re-reading the body. */
export function withLogFields<T extends object>(result: T, fields: LogFields): T {
  annotations.set(result, fields);
  return result;
}

export function logFieldsOf(result: object): LogFields {
  return annotations.get(result) ?? {};
}

/**
 * The deployment's pseudonym key: PHOTO_ANALYSIS_LOG_PSEUDONYM_KEY (in AWS a Secrets Manager secret the
 * stack generates, resolved into the environment by CloudFormation), else random per process.
 */
let processKey: Buffer | undefined;

/**
 * A daily-rotating keyed pseudonym: HMAC-SHA256 of `value` under the day's key (HMAC(key,
 * "YYYY-MM-DD"), UTC), truncated to 64 bits. The same value gives the same pseudonym all day, so one
 * client's lines can be followed within a day; without the key no address can be recovered by trying
 * them all, and values of different days cannot be linked.
 */
export function keyedPseudonym(key: Buffer | string, value: string, now: Date): string {
  const dayKey = createHmac("sha256", key).update(now.toISOString().slice(0, 10)).digest();
  return createHmac("sha256", dayKey).update(value).digest("hex").slice(0, 16);
}

/** The log's `client`: the address's pseudonym under this deployment's key. */
export function pseudonym(value: string | undefined | null, now: Date = new Date()): string | undefined {
  if (!value) return undefined;
  processKey ??= process.env.PHOTO_ANALYSIS_LOG_PSEUDONYM_KEY ? Buffer.from(process.env.PHOTO_ANALYSIS_LOG_PSEUDONYM_KEY, "utf8") : randomBytes(32);
  return keyedPseudonym(processKey, value, now);
}

const powertoolsLogger = inLambda ? new Logger({ serviceName: "photo-analysis" }) : undefined;

function readableLine(line: RequestLine): string {
  const extras = Object.entries({
    cached: line.cached,
    provider: line.provider,
    model: line.model,
    job: line.job,
    batch: line.batch,
    code: line.code,
    client: line.client,
  })
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}`);
  return `${new Date().toISOString()} ${line.route} ${line.status} ${line.ms.toFixed(0)}ms ${extras.join(" ")} id=${line.requestId}`.replace(/\s+id=/, " id=");
}

export const requestLog: RequestLog = powertoolsLogger
  ? {
      logs: () => true,
      request: (line) => (line.status >= 500 ? powertoolsLogger.error("request", { ...line }) : powertoolsLogger.info("request", { ...line })),
    }
  : {
      // Local runs: quiet unless asked (PHOTO_ANALYSIS_LOG_REQUESTS=1), errors always.
      logs: (status) => process.env.PHOTO_ANALYSIS_LOG_REQUESTS === "1" || status >= 500,
      request: (line) => console.log(readableLine(line)),
    };

/** Adds the Lambda context (cold start, function name, Lambda request id) to every line. */
export function logContext(context: { awsRequestId?: string; functionName?: string } | undefined): void {
  if (powertoolsLogger && context?.awsRequestId) powertoolsLogger.addContext(context as never);
}

const metrics = inLambda ? new Metrics({ namespace: "PhotoAnalysis", serviceName: "photo-analysis" }) : undefined;
/** Whether this request recorded any metric (flushing none makes Powertools log a warning per request). */
let recorded = false;

/** Dashboard events become CloudWatch metrics (by provider and model where they have them). */
export const cloudWatchTelemetry: Telemetry | undefined = metrics && {
  record(event: TelemetryEvent) {
    recorded = true;
    if (event.kind !== "provider_call") metrics.addMetric("Uploads", MetricUnit.Count, 1);
    const names: Partial<Record<TelemetryEvent["kind"], string>> = {
      exact_hit: "ExactHits",
      similar_hit: "SimilarHits",
      rate_limited: "RateLimited",
      moderated: "Moderated",
      failed: "Failures",
      analysis: "Analyses",
    };
    const name = names[event.kind];
    if (name) metrics.addMetric(name, MetricUnit.Count, 1);
    if (event.kind === "analysis") {
      const perModel = metrics.singleMetric();
      perModel.addDimensions({ provider: event.provider, model: event.model });
      perModel.addMetric("Analyses", MetricUnit.Count, 1);
      perModel.addMetric("Tokens", MetricUnit.Count, event.tokens);
      if (event.costUsd !== null) perModel.addMetric("EstimatedCostUsd", MetricUnit.NoUnit, event.costUsd);
    }
    if (event.kind === "provider_call") {
      const call = metrics.singleMetric();
      call.addDimensions({ provider: event.provider });
      call.addMetric("ProviderLatency", MetricUnit.Milliseconds, event.ms);
      // Also without the provider dimension: the stack's alarm watches the total.
      if (!event.ok) metrics.addMetric("ProviderFailures", MetricUnit.Count, 1);
    }
  },
};

/** Writes the request's metrics (EMF) to the log; a no-op outside Lambda. */
export function flushMetrics(): void {
  if (!metrics || !recorded) return;
  recorded = false;
  metrics.publishStoredMetrics();
}
