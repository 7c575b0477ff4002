import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ApiGatewayConnections } from "../notifications/api-gateway-connections.js";
import { SqsJobQueue } from "../queue/sqs-job-queue.js";
import { DynamoConnectionStore } from "../stores/dynamo-connection-store.js";
import { DynamoJobStore } from "../stores/dynamo-job-store.js";
import { DynamoBlockedPhotos } from "../stores/dynamo-blocked-photos.js";
import { Refreshing } from "../config/refreshing.js";
import { EnvConfigSource, JsonFileConfigSource, LayeredConfigSource, LiveSettings, type ConfigSource } from "../config/sources.js";
import { SsmConfigSource } from "../config/ssm-source.js";
import { secretParameter, secretsKeyAlias, settingsPath } from "../config/ssm-layout.js";
import { enforceTableGrants } from "./table-access.js";
import { DynamoCounterStore } from "../ratelimit/dynamo-counter-store.js";
import { SlidingWindowRateLimiter } from "../ratelimit/rate-limiter.js";
import { DynamoAnalysisStore } from "../stores/dynamo-analysis-store.js";
import { DynamoUploadStore } from "../stores/dynamo-upload-store.js";
import { socketLimitsOn } from "../usecases/socket-limits.js";
import { ConcurrencyLimiter } from "../ratelimit/concurrency.js";
import { PENDING_JOB_LIFETIME_SECONDS } from "../usecases/meter.js";
import { DynamoUploadClaims } from "../stores/dynamo-upload-claims.js";
import { DynamoUploadIntents } from "../stores/dynamo-upload-intents.js";
import { S3StagingStore } from "../stores/s3-staging-store.js";
import { JwksTokenVerifier, requireAudience } from "../auth/tokens.js";
import { DynamoStatsStore } from "../stats/dynamo-stats-store.js";
import { LocalImageStore } from "../stores/local-image-store.js";
import type { ImageStore } from "../stores/ports.js";
import { S3ImageStore } from "../stores/s3-image-store.js";
import type { AppDeps } from "../usecases/deps.js";
import { VisionNotConfiguredError } from "../domain/errors.js";
import type { VisionProvider } from "../vision/provider.js";

/**
 * Where the service runs, from environment variables. These are deployment facts (which table,
 * which bucket, which endpoints), not live settings; the CDK stack sets them on every function.
 */
export interface RuntimeEnvironment {
  tableName: string;
  bucketName?: string;
  localImageDir?: string;
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
  region: string;
  /** The endpoints are this process's embedded servers: use their fixed key pair whatever the environment holds. */
  localKeyPair?: boolean;
  /** Time limit of one AWS call (DEFAULT_AWS_TIMEOUT_MS when unset). */
  awsTimeoutMs?: number;
  /** SSM path holding live settings (AWS). Without it, settings come from a file and the environment. */
  ssmPrefix?: string;
  configFile?: string;
  openaiBaseUrl?: string;
  anthropicBaseUrl?: string;
  geminiBaseUrl?: string;
  /** Signed-in users: JWTs from this issuer are verified (JWKS at jwksUrl, default <issuer>/.well-known/jwks.json). */
  jwtIssuer?: string;
  jwtAudience?: string;
  /** A Cognito app client id (its ID and access tokens, told apart by token_use), instead of or beside an audience. */
  jwtClientId?: string;
  jwtTokenUse?: "id" | "access";
  jwksUrl?: string;
  /** The longest image TTL the deployment allows (its bucket lifecycle is derived from it). */
  maxImageTtlHours?: number;
  /** The API's public origin, for links in answers (PHOTO_ANALYSIS_PUBLIC_BASE_URL; the stack sets the API's URL). */
  publicBaseUrl?: string;
  /** Whether X-Forwarded-Proto/Host come from a proxy this deployment trusts (PHOTO_ANALYSIS_TRUSTED_PROXY=true). */
  trustedProxy?: boolean;
  /** Async analyses (AWS): the SQS queue the worker consumes, the WebSocket URL clients open, and its management endpoint. */
  queueUrl?: string;
  eventsUrl?: string;
  eventsCallbackUrl?: string;
  /** Admin access: a static bearer token (for local use) and/or the JWT group that makes a user an admin. */
  adminToken?: string;
  adminGroup?: string;
}

export function runtimeEnvironmentFrom(env: NodeJS.ProcessEnv = process.env): RuntimeEnvironment {
  const tableName = env.PHOTO_ANALYSIS_TABLE;
  if (!tableName) throw new Error("PHOTO_ANALYSIS_TABLE is not set: the DynamoDB table to use");
  return {
    tableName,
    bucketName: env.PHOTO_ANALYSIS_BUCKET || undefined,
    localImageDir: env.PHOTO_ANALYSIS_LOCAL_IMAGE_DIR || undefined,
    dynamodbEndpoint: env.PHOTO_ANALYSIS_DYNAMODB_ENDPOINT || undefined,
    s3Endpoint: env.PHOTO_ANALYSIS_S3_ENDPOINT || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    awsTimeoutMs: Number(env.PHOTO_ANALYSIS_AWS_TIMEOUT_MS) || undefined,
    publicBaseUrl: publicBaseUrlFrom(env),
    trustedProxy: trustedProxyFrom(env),
    maxImageTtlHours: Number(env.PHOTO_ANALYSIS_MAX_IMAGE_TTL_HOURS) || undefined,
    ssmPrefix: env.PHOTO_ANALYSIS_SSM_PREFIX || undefined,
    queueUrl: env.PHOTO_ANALYSIS_QUEUE_URL || undefined,
    eventsUrl: env.PHOTO_ANALYSIS_EVENTS_URL || undefined,
    eventsCallbackUrl: env.PHOTO_ANALYSIS_EVENTS_CALLBACK_URL || undefined,
    configFile: env.PHOTO_ANALYSIS_CONFIG_FILE || (existsSync("photo-analysis.config.json") ? "photo-analysis.config.json" : undefined),
    ...providerUrlsFrom(env),
    ...jwtSettingsFrom(env),
  };
}

/** PHOTO_ANALYSIS_PUBLIC_BASE_URL: an origin, optionally with a path prefix; anything else is refused at start rather than copied into links. */
export function publicBaseUrlFrom(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.PHOTO_ANALYSIS_PUBLIC_BASE_URL?.trim().replace(/\/+$/, "");
  if (!value) return undefined;
  if (!/^https?:\/\/[^/?#\s@]+(\/[^?#\s]*)?$/.test(value)) throw new Error(`PHOTO_ANALYSIS_PUBLIC_BASE_URL must be an origin such as https://api.example.com, got ${value}`);
  return value;
}

/** PHOTO_ANALYSIS_TRUSTED_PROXY: true when a proxy in front sets X-Forwarded-Proto and X-Forwarded-Host (and strips clients' own). */
export function trustedProxyFrom(env: NodeJS.ProcessEnv): boolean {
  return ["true", "1", "yes"].includes((env.PHOTO_ANALYSIS_TRUSTED_PROXY ?? "").trim().toLowerCase());
}

/** The provider SDKs' standard base-URL variables. */
export function providerUrlsFrom(env: NodeJS.ProcessEnv): Pick<RuntimeEnvironment, "openaiBaseUrl" | "anthropicBaseUrl" | "geminiBaseUrl"> {
  return {
    openaiBaseUrl: env.OPENAI_BASE_URL || undefined,
    anthropicBaseUrl: env.ANTHROPIC_BASE_URL || undefined,
    geminiBaseUrl: env.GEMINI_BASE_URL || env.GOOGLE_GEMINI_BASE_URL || undefined,
  };
}

/** Sign-in and admin settings; an issuer without an audience or client id is refused here, at start. */
export function jwtSettingsFrom(
  env: NodeJS.ProcessEnv,
): Pick<RuntimeEnvironment, "jwtIssuer" | "jwtAudience" | "jwtClientId" | "jwtTokenUse" | "jwksUrl" | "adminToken" | "adminGroup"> {
  const settings = {
    adminToken: env.PHOTO_ANALYSIS_ADMIN_TOKEN || undefined,
    adminGroup: env.PHOTO_ANALYSIS_ADMIN_GROUP || undefined,
    jwtIssuer: env.PHOTO_ANALYSIS_JWT_ISSUER || undefined,
    jwtAudience: env.PHOTO_ANALYSIS_JWT_AUDIENCE || undefined,
    jwtClientId: env.PHOTO_ANALYSIS_JWT_CLIENT_ID || undefined,
    jwtTokenUse: (env.PHOTO_ANALYSIS_JWT_TOKEN_USE || undefined) as RuntimeEnvironment["jwtTokenUse"],
    jwksUrl: env.PHOTO_ANALYSIS_JWKS_URL || undefined,
  };
  if (settings.jwtIssuer) requireAudience(settings.jwtIssuer, { audience: settings.jwtAudience, clientId: settings.jwtClientId, tokenUse: settings.jwtTokenUse });
  return settings;
}

/**
 * Every AWS call has a time limit: a stalled connection fails after this long (and the SDK retries)
 * instead of holding the request until the function times out. PHOTO_ANALYSIS_AWS_TIMEOUT_MS.
 */
export const DEFAULT_AWS_TIMEOUT_MS = 5_000;

function awsTimeouts(runtime: Pick<RuntimeEnvironment, "awsTimeoutMs">) {
  const ms = runtime.awsTimeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
  return { requestHandler: { requestTimeout: ms, connectionTimeout: Math.min(ms, 3_000) } };
}

/**
 * Credentials for a custom endpoint. The embedded servers of `npm start` and the tests take
 * s3rver's fixed key pair (dynalite accepts any). An external endpoint (DynamoDB Local,
 * LocalStack, a real account) uses the SDK's standard chain when AWS_ACCESS_KEY_ID or AWS_PROFILE
 * is set, and the fixed pair otherwise (local emulators accept it). No endpoint: AWS, default chain.
 */
function endpointCredentials(endpoint: string | undefined, runtime: Pick<RuntimeEnvironment, "localKeyPair">) {
  if (!endpoint) return {};
  const standard = Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
  return runtime.localKeyPair || !standard ? { credentials: LOCAL_KEY_PAIR } : {};
}

/** The embedded S3 server's one key pair (s3rver's; public, so it proves nothing about who signed). */
export const LOCAL_KEY_PAIR = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;


/** A DynamoDB client; inside a function's grant (table-access.ts: npm start, tests) it refuses what the function's IAM policy would. */
export function createDynamoClient(runtime: Pick<RuntimeEnvironment, "region" | "dynamodbEndpoint" | "awsTimeoutMs" | "localKeyPair">): DynamoDBClient {
  return enforceTableGrants(
    new DynamoDBClient({
      ...awsTimeouts(runtime),
      region: runtime.region,
      endpoint: runtime.dynamodbEndpoint,
      ...endpointCredentials(runtime.dynamodbEndpoint, runtime),
    }),
  );
}

export function createDocumentClient(runtime: Pick<RuntimeEnvironment, "region" | "dynamodbEndpoint" | "awsTimeoutMs" | "localKeyPair">): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoClient(runtime), DOCUMENT_OPTIONS);
}

const DOCUMENT_OPTIONS = { marshallOptions: { removeUndefinedValues: true } };

export function createS3Client(runtime: Pick<RuntimeEnvironment, "region" | "s3Endpoint" | "awsTimeoutMs" | "localKeyPair">): S3Client {
  return new S3Client({
    ...awsTimeouts(runtime),
    region: runtime.region,
    endpoint: runtime.s3Endpoint,
    forcePathStyle: Boolean(runtime.s3Endpoint),
    ...endpointCredentials(runtime.s3Endpoint, runtime),
  });
}

/** Secrets: SSM SecureStrings under `<prefix>/secrets/` in AWS (cached 5 minutes), else the environment. */
export type SecretReader = (name: string) => Promise<string | undefined>;

export function createSecretReader(runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "region" | "awsTimeoutMs">, env: NodeJS.ProcessEnv): SecretReader {
  if (!runtime.ssmPrefix) return async (name) => env[name] || undefined;
  const prefix = runtime.ssmPrefix;
  const ssm = new SSMClient({ ...awsTimeouts(runtime), region: runtime.region });
  const load = async (name: string) => {
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: secretParameter(prefix, name), WithDecryption: true }));
      return Parameter?.Value || undefined;
    } catch (error) {
      if ((error as { name?: string }).name === "ParameterNotFound") return undefined;
      // Only the stack's key may protect a secret: one put without --key-id (under aws/ssm) cannot be read here.
      if (/kms/i.test(`${(error as Error).name} ${(error as Error).message}`)) {
        throw new Error(`${secretParameter(prefix, name)} cannot be decrypted by this function: put it again with --key-id ${secretsKeyAlias(prefix)} (docs/operations.md, "Secrets")`, { cause: error });
      }
      throw error;
    }
  };
  return cachedPerName((name) => env[name] || undefined, load, 300_000, "secret");
}

/**
 * Whether a secret exists, never reading its value: the environment, or SSM's DescribeParameters
 * (names and metadata only, so the caller needs neither GetParameter on secrets nor the key).
 */
export function createSecretPresence(runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "region" | "awsTimeoutMs">, env: NodeJS.ProcessEnv): (name: string) => Promise<boolean> {
  if (!runtime.ssmPrefix) return async (name) => Boolean(env[name]);
  const prefix = runtime.ssmPrefix;
  const ssm = new SSMClient({ ...awsTimeouts(runtime), region: runtime.region });
  const load = async (name: string) => {
    const { Parameters = [] } = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Option: "Equals", Values: [secretParameter(prefix, name)] }] }));
    return Parameters.length > 0;
  };
  // DescribeParameters is throttled at a few calls a second per account: health asks at most once a minute per name.
  return cachedPerName((name) => (env[name] ? true : undefined), load, 60_000, "secret presence");
}

/** A value per name from the environment, else loaded and kept `ttlMs` (a failed refresh keeps the last good value). */
function cachedPerName<T>(fromEnv: (name: string) => T | undefined, load: (name: string) => Promise<T>, ttlMs: number, what: string): (name: string) => Promise<T> {
  const values = new Map<string, Refreshing<T>>();
  return async (name) => {
    const given = fromEnv(name);
    if (given !== undefined) return given;
    let value = values.get(name);
    if (!value) {
      value = new Refreshing(() => load(name), { ttlMs, onRefreshError: (error) => console.error(`${what} ${name} refresh failed`, error) });
      values.set(name, value);
    }
    return value.get();
  };
}

export function createConfigSource(runtime: Pick<RuntimeEnvironment, "ssmPrefix" | "configFile" | "region" | "awsTimeoutMs">, env: NodeJS.ProcessEnv): ConfigSource {
  if (runtime.ssmPrefix) return new SsmConfigSource(new SSMClient({ ...awsTimeouts(runtime), region: runtime.region }), settingsPath(runtime.ssmPrefix));
  const layers: ConfigSource[] = [];
  if (runtime.configFile) layers.push(new JsonFileConfigSource(runtime.configFile));
  layers.push(new EnvConfigSource(env));
  return new LayeredConfigSource(layers);
}

export type VisionSelector = AppDeps["visionProvider"];

/** For functions that never analyse (get, recent, image, cleanup): keeps the models and sharp out of their bundles. */
const noVision: VisionSelector = async (): Promise<VisionProvider> => {
  throw new VisionNotConfiguredError("This function does not analyse photos");
};

/**
 * The production wiring of every port. Tests build AppDeps the same way with local endpoints.
 * The vision selector is passed in (see vision-context.ts) so that only the upload function's
 * bundle contains the vision code.
 */
export interface Instrumentation {
  /** Wraps each AWS SDK client (X-Ray subsegments in Lambda). */
  awsClient?: <T>(client: T) => T;
  telemetry?: AppDeps["telemetry"];
}

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
    queue: runtime.queueUrl ? new SqsJobQueue((sdk) => instrument(new sdk.SQSClient({ ...awsTimeouts(runtime), region: runtime.region })), runtime.queueUrl) : undefined,
    gateway: runtime.eventsCallbackUrl
      ? new ApiGatewayConnections((sdk) => instrument(new sdk.ApiGatewayManagementApiClient({ ...awsTimeouts(runtime), region: runtime.region, endpoint: runtime.eventsCallbackUrl })))
      : undefined,
    eventsUrl: runtime.eventsUrl,
    imageStores,
    stats: new DynamoStatsStore(documents, runtime.tableName),
    admin: { token: runtime.adminToken, group: runtime.adminGroup ?? "admin" },
    rateLimiter: new SlidingWindowRateLimiter(counters),
    socketLimits: socketLimitsOn(counters),
    pendingJobs: new ConcurrencyLimiter(counters, PENDING_JOB_LIFETIME_SECONDS),
    tokens: runtime.jwtIssuer
      ? new JwksTokenVerifier({ issuer: runtime.jwtIssuer, audience: runtime.jwtAudience, clientId: runtime.jwtClientId, tokenUse: runtime.jwtTokenUse, jwksUrl: runtime.jwksUrl })
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
