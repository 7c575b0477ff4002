import { randomUUID } from "node:crypto";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { JwksTokenVerifier } from "../auth/tokens.js";
import { LiveSettings } from "../config/sources.js";
import { VisionNotConfiguredError } from "../domain/errors.js";
import { ApiGatewayConnections } from "../notifications/api-gateway-connections.js";
import { SqsJobQueue } from "../queue/sqs-job-queue.js";
import { DynamoCounterStore } from "../ratelimit/dynamo-counter-store.js";
import { SlidingWindowRateLimiter } from "../ratelimit/rate-limiter.js";
import { DynamoStatsStore } from "../stats/dynamo-stats-store.js";
import { DynamoAnalysisStore } from "../stores/dynamo-analysis-store.js";
import { DynamoBlockedPhotos } from "../stores/dynamo-blocked-photos.js";
import { DynamoConnectionStore } from "../stores/dynamo-connection-store.js";
import { DynamoJobStore } from "../stores/dynamo-job-store.js";
import { ConcurrencyLimiter } from "../ratelimit/concurrency.js";
import { PENDING_JOB_LIFETIME_SECONDS } from "../usecases/meter.js";
import { DynamoUploadClaims } from "../stores/dynamo-upload-claims.js";
import { DynamoUploadIntents } from "../stores/dynamo-upload-intents.js";
import { DynamoUploadStore } from "../stores/dynamo-upload-store.js";
import { LocalImageStore } from "../stores/local-image-store.js";
import type { ImageStore } from "../stores/ports.js";
import { S3ImageStore } from "../stores/s3-image-store.js";
import { S3StagingStore } from "../stores/s3-staging-store.js";
import type { AppDeps } from "../usecases/deps.js";
import { socketLimitsOn } from "../usecases/socket-limits.js";
import type { VisionProvider } from "../vision/provider.js";
import { awsTimeouts, createDynamoClient, createS3Client, DOCUMENT_OPTIONS } from "./aws-clients.js";
import { createConfigSource } from "./config-source.js";
import type { RuntimeEnvironment } from "./environment.js";
import { createSecretPresence } from "./secrets.js";

/**
 * The composition root of the deployed functions, the CLIs and the tests: every port's AWS adapter,
 * from a RuntimeEnvironment (environment.ts), AWS clients (aws-clients.ts), secrets (secrets.ts) and
 * the live settings' source (config-source.ts).
 */
export type VisionSelector = AppDeps["visionProvider"];

/** For functions that never analyse (get, recent, image, cleanup): keeps the models and sharp out of their bundles. */
const noVision: VisionSelector = async (): Promise<VisionProvider> => {
  throw new VisionNotConfiguredError("This function does not analyse photos");
};

/** What the Lambda root adds around the adapters. */
export interface Instrumentation {
  /** Wraps each AWS SDK client (X-Ray subsegments in Lambda). */
  awsClient?: <T>(client: T) => T;
  telemetry?: AppDeps["telemetry"];
}

/**
 * The production wiring of every port. Tests build AppDeps the same way with local endpoints.
 * The vision selector is passed in (see vision-context.ts) so that only the analysing functions'
 * bundles contain the vision code.
 */
export function createDeps(
  runtime: RuntimeEnvironment,
  env: NodeJS.ProcessEnv = process.env,
  visionProvider: VisionSelector = noVision,
  instrumentation: Instrumentation = {},
): AppDeps {
  const instrument = instrumentation.awsClient ?? (<T>(client: T) => client);
  const documents = DynamoDBDocumentClient.from(instrument(createDynamoClient(runtime)), DOCUMENT_OPTIONS);
  const imageStores: Partial<Record<"s3" | "local", ImageStore>> = {};
  const s3 = runtime.bucketName ? instrument(createS3Client(runtime)) : undefined;
  if (s3) imageStores.s3 = new S3ImageStore(s3, runtime.bucketName!);
  if (runtime.localImageDir) imageStores.local = new LocalImageStore(runtime.localImageDir);
  const settings = new LiveSettings(createConfigSource(runtime, env));
  const counters = new DynamoCounterStore(documents, runtime.tableName);
  return {
    settings: () => settings.get(),
    visionProvider,
    analyses: new DynamoAnalysisStore(documents, runtime.tableName),
    uploads: new DynamoUploadStore(documents, runtime.tableName),
    claims: new DynamoUploadClaims(documents, runtime.tableName),
    staging: s3 ? new S3StagingStore(s3, runtime.bucketName!) : undefined,
    intents: new DynamoUploadIntents(documents, runtime.tableName),
    blockedPhotos: new DynamoBlockedPhotos(documents, runtime.tableName),
    jobs: new DynamoJobStore(documents, runtime.tableName),
    connections: new DynamoConnectionStore(documents, runtime.tableName),
    // SQS sends to the queue URL's own host, so a URL on a local server needs no other setting.
    // Their SDKs load on first use: most functions never queue or post.
    queue: runtime.queueUrl
      ? new SqsJobQueue((sdk) => instrument(new sdk.SQSClient({ ...awsTimeouts(runtime), region: runtime.region })), runtime.queueUrl)
      : undefined,
    gateway: runtime.eventsCallbackUrl
      ? new ApiGatewayConnections((sdk) =>
          instrument(new sdk.ApiGatewayManagementApiClient({ ...awsTimeouts(runtime), region: runtime.region, endpoint: runtime.eventsCallbackUrl })),
        )
      : undefined,
    eventsUrl: runtime.eventsUrl,
    imageStores,
    stats: new DynamoStatsStore(documents, runtime.tableName),
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
    now: () => new Date(),
    newId: () => randomUUID(),
  };
}
