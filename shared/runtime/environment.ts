import { existsSync } from "node:fs";
import { requireAudience } from "../auth/tokens.js";
import { providerBaseUrlsFrom, type ProviderId } from "../config/providers.js";

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
  /** Vision providers' base URLs, from their SDKs' standard variables (shared/config/providers.ts). */
  providerBaseUrls?: Partial<Record<ProviderId, string>>;
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
  /** Threads for the local models and for HEIC decoding (PHOTO_ANALYSIS_LOCAL_WORKERS, PHOTO_ANALYSIS_DECODE_WORKERS); unset: the runtime's default (analysis.ts). */
  localWorkers?: number;
  decodeWorkers?: number;
}

/**
 * The one way to build a RuntimeEnvironment: every deployment fact from the environment, then
 * `overrides` (what a composition root decides itself: npm start's embedded servers, a test's fresh
 * table). Throws when no table is named either way, and on an invalid public URL or sign-in setting.
 */
export function runtimeEnvironmentFrom(env: NodeJS.ProcessEnv = process.env, overrides: Partial<RuntimeEnvironment> = {}): RuntimeEnvironment {
  const tableName = overrides.tableName ?? env.PHOTO_ANALYSIS_TABLE;
  if (!tableName) throw new Error("PHOTO_ANALYSIS_TABLE is not set: the DynamoDB table to use");
  return {
    ...fromEnvironment(env),
    ...overrides,
    tableName,
  };
}

function fromEnvironment(env: NodeJS.ProcessEnv): Omit<RuntimeEnvironment, "tableName"> {
  return {
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
    providerBaseUrls: providerBaseUrlsFrom(env),
    localWorkers: threadCountFrom(env.PHOTO_ANALYSIS_LOCAL_WORKERS),
    decodeWorkers: threadCountFrom(env.PHOTO_ANALYSIS_DECODE_WORKERS),
    ...jwtSettingsFrom(env),
  };
}

/** A number of threads, 0 or more; undefined when unset. */
function threadCountFrom(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  return Math.max(0, Math.floor(Number(value))) || 0;
}

/** PHOTO_ANALYSIS_PUBLIC_BASE_URL: an origin, optionally with a path prefix; anything else is refused at start rather than copied into links. */
export function publicBaseUrlFrom(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.PHOTO_ANALYSIS_PUBLIC_BASE_URL?.trim().replace(/\/+$/, "");
  if (!value) return undefined;
  if (!/^https?:\/\/[^/?#\s@]+(\/[^?#\s]*)?$/.test(value))
    throw new Error(`PHOTO_ANALYSIS_PUBLIC_BASE_URL must be an origin such as https://api.example.com, got ${value}`);
  return value;
}

/** PHOTO_ANALYSIS_TRUSTED_PROXY: true when a proxy in front sets X-Forwarded-Proto and X-Forwarded-Host (and strips clients' own). */
export function trustedProxyFrom(env: NodeJS.ProcessEnv): boolean {
  return ["true", "1", "yes"].includes((env.PHOTO_ANALYSIS_TRUSTED_PROXY ?? "").trim().toLowerCase());
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
  if (settings.jwtIssuer)
    requireAudience(settings.jwtIssuer, { audience: settings.jwtAudience, clientId: settings.jwtClientId, tokenUse: settings.jwtTokenUse });
  return settings;
}
