import { randomUUID } from "node:crypto";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { JwksTokenVerifier } from "../auth/tokens.js";
import { LiveSettings } from "../config/sources.js";
import { VisionNotConfiguredError } from "../domain/errors.js";
import type { HeicDecoder } from "../image/heic.js";
import type { ModeratorSelector } from "../moderation/select.js";
import { ApiGatewayConnections } from "../notifications/api-gateway-connections.js";
import { SqsJobQueue } from "../queue/sqs-job-queue.js";
import { ConcurrencyLimiter } from "../ratelimit/concurrency.js";
import { DynamoCounterStore } from "../ratelimit/dynamo-counter-store.js";
import { SlidingWindowRateLimiter } from "../ratelimit/rate-limiter.js";
import { DynamoStatsStore } from "../stats/dynamo-stats-store.js";
import { DynamoAnalysisStore } from "../stores/dynamo-analysis-store.js";
import { DynamoBlockedPhotos } from "../stores/dynamo-blocked-photos.js";
import { DynamoConnectionStore } from "../stores/dynamo-connection-store.js";
import { DynamoJobStore } from "../stores/dynamo-job-store.js";
import { DynamoUploadClaims } from "../stores/dynamo-upload-claims.js";
import { DynamoUploadIntents } from "../stores/dynamo-upload-intents.js";
import { DynamoUploadStore } from "../stores/dynamo-upload-store.js";
import { LocalImageStore } from "../stores/local-image-store.js";
import type { ConnectionGateway, JobQueue } from "../stores/ports.js";
import { S3ImageStore } from "../stores/s3-image-store.js";
import { S3StagingStore } from "../stores/s3-staging-store.js";
import type { AppDeps } from "../usecases/deps.js";
import { PENDING_JOB_LIFETIME_SECONDS } from "../usecases/meter.js";
import { socketLimitsOn } from "../usecases/socket-limits.js";
import type { VisionProvider } from "../vision/provider.js";
import { awsTimeouts, createDynamoClient, createS3Client, DOCUMENT_OPTIONS } from "./aws-clients.js";
import { createConfigSource } from "./config-source.js";
import type { RuntimeEnvironment } from "./environment.js";
import { createSecretPresence } from "./secrets.js";

export type VisionSelector = AppDeps["visionProvider"];

/** What the Lambda root adds around the adapters. */
export interface Instrumentation {
  /** Wraps each AWS SDK client (X-Ray subsegments in Lambda). */
  awsClient?: <T>(client: T) => T;
  telemetry?: AppDeps["telemetry"];
}

/** What a runtime hands the composition root beside its RuntimeEnvironment. */
export interface AppDepsOptions {
  runtime: RuntimeEnvironment;
  /** Live settings and API keys where there is no SSM prefix (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * The analysing runtimes' vision selector and moderator (createAnalysis in analysis.ts), passed in
   * so that the other functions' bundles carry no vision code; without one, vision is refused.
   */
  vision?: VisionSelector;
  moderation?: ModeratorSelector;
  /** Decodes HEIC in worker threads (createAnalysis); absent: on the calling thread. */
  heicDecoder?: HeicDecoder;
  /** Tracing and metrics (Lambda). */
  instrumentation?: Instrumentation;
  /** `npm start`'s in-process job queue and WebSocket server, in place of the deployment's SQS queue and API Gateway. */
  queue?: JobQueue;
  gateway?: ConnectionGateway;
  /** Added to a 429's detail (npm start: how to switch the limit off). */
  rateLimitNote?: string;
  /** Releases what the options hold (worker threads); AppDeps.dispose calls it. */
  dispose?: () => Promise<void>;
}

/** For functions that never analyse (get, recent, image, cleanup): keeps the models and sharp out of their bundles. */
const noVision: VisionSelector = async (): Promise<VisionProvider> => {
  throw new VisionNotConfiguredError("This function does not analyse photos");
};

/**
 * The one composition root: every port's adapter from a RuntimeEnvironment, built the same way by
 * Lambda (functions/deps.ts), `npm start` (local/service.ts), the CLIs and the tests. A
 * collaborator the runtime lacks is absent (staging without a bucket, the queue without a queue URL)
 * and asked for with requireDep (shared/usecases/deps.ts), which answers 503 without it.
 */
export function createAppDeps(options: AppDepsOptions): AppDeps {
  const { runtime, instrumentation = {} } = options;
  const env = options.env ?? process.env;
  const instrument = instrumentation.awsClient ?? (<T>(client: T) => client);
  const documents = DynamoDBDocumentClient.from(instrument(createDynamoClient(runtime)), DOCUMENT_OPTIONS);
  const table = runtime.tableName;
  const bucket = runtime.bucketName ? { name: runtime.bucketName, s3: instrument(createS3Client(runtime)) } : undefined;
  const imageStores: AppDeps["imageStores"] = {};
  if (bucket) imageStores.s3 = new S3ImageStore(bucket.s3, bucket.name);
  if (runtime.localImageDir) imageStores.local = new LocalImageStore(runtime.localImageDir);
  const settings = new LiveSettings(createConfigSource(runtime, env));
  const counters = new DynamoCounterStore(documents, table);
  return {
    settings: () => settings.get(),
    visionProvider: options.vision ?? noVision,
    moderator: options.moderation,
    textModerator: options.moderation?.texts,
    heicDecoder: options.heicDecoder,
    analyses: new DynamoAnalysisStore(documents, table),
    uploads: new DynamoUploadStore(documents, table),
    claims: new DynamoUploadClaims(documents, table),
    staging: bucket ? new S3StagingStore(bucket.s3, bucket.name) : undefined,
    intents: new DynamoUploadIntents(documents, table),
    blockedPhotos: new DynamoBlockedPhotos(documents, table),
    jobs: new DynamoJobStore(documents, table),
    connections: new DynamoConnectionStore(documents, table),
    queue: options.queue ?? sqsQueue(runtime, instrument),
    gateway: options.gateway ?? apiGatewayConnections(runtime, instrument),
    eventsUrl: runtime.eventsUrl,
    imageStores,
    stats: new DynamoStatsStore(documents, table),
    admin: { token: runtime.adminToken, group: runtime.adminGroup ?? "admin" },
    rateLimiter: new SlidingWindowRateLimiter(counters),
    socketLimits: socketLimitsOn(counters),
    pendingJobs: new ConcurrencyLimiter(counters, PENDING_JOB_LIFETIME_SECONDS),
    tokens: runtime.jwtIssuer
      ? new JwksTokenVerifier({
          issuer: runtime.jwtIssuer,
          audience: runtime.jwtAudience,
          clientId: runtime.jwtClientId,
          tokenUse: runtime.jwtTokenUse,
          jwksUrl: runtime.jwksUrl,
        })
      : undefined,
    publicBaseUrl: runtime.publicBaseUrl,
    trustedProxy: runtime.trustedProxy,
    telemetry: instrumentation.telemetry,
    hasSecret: createSecretPresence(runtime, env),
    maxImageTtlHours: runtime.maxImageTtlHours,
    rateLimitNote: options.rateLimitNote,
    now: () => new Date(),
    newId: () => randomUUID(),
    dispose: options.dispose,
  };
}

// SQS sends to the queue URL's own host, so a URL on a local server needs no other setting.
// Their SDKs load on first use: most functions never queue or post.
function sqsQueue(runtime: RuntimeEnvironment, instrument: <T>(client: T) => T): JobQueue | undefined {
  if (!runtime.queueUrl) return undefined;
  return new SqsJobQueue((sdk) => instrument(new sdk.SQSClient({ ...awsTimeouts(runtime), region: runtime.region })), runtime.queueUrl);
}

function apiGatewayConnections(runtime: RuntimeEnvironment, instrument: <T>(client: T) => T): ConnectionGateway | undefined {
  const endpoint = runtime.eventsCallbackUrl;
  if (!endpoint) return undefined;
  return new ApiGatewayConnections((sdk) => instrument(new sdk.ApiGatewayManagementApiClient({ ...awsTimeouts(runtime), region: runtime.region, endpoint })));
}
