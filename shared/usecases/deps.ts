import type { HeicDecoder } from "../image/heic.js";
import type { BlockedPhotos, Moderator } from "../moderation/moderation.js";
import type { Settings } from "../config/settings.js";
import type { StorageType } from "../domain/types.js";
import type {
  AnalysisStore,
  ConnectionGateway,
  ConnectionStore,
  ImageStore,
  JobQueue,
  JobStore,
  StagingStore,
  UploadClaims,
  UploadIntents,
  UploadStore,
} from "../stores/ports.js";
import type { VisionProvider } from "../vision/provider.js";
import type { RateLimiter } from "../ratelimit/rate-limiter.js";
import type { ConcurrencyLimiter } from "../ratelimit/concurrency.js";
import type { TokenVerifier } from "../auth/tokens.js";
import type { StatsEvent, StatsStore } from "../stats/stats.js";
import { dayOf } from "../stats/stats.js";
import { NotConfiguredError } from "../domain/errors.js";

/** Everything the use cases need, as ports. Built once per process by createAppDeps (shared/runtime/app-deps.ts). */
export interface AppDeps {
  /** Live settings (SSM in AWS, file/environment locally), cached. */
  settings(): Promise<Settings>;
  /** What is shared: analyses of content, reused by the cache. */
  analyses: AnalysisStore;
  /** What is personal: each caller's uploads. */
  uploads: UploadStore;
  claims: UploadClaims;
  /** Presigned uploads (S3 only: requireDep). */
  staging?: StagingStore;
  intents: UploadIntents;
  imageStores: Partial<Record<StorageType, ImageStore>>;
  /** The provider the settings select; throws VisionNotConfiguredError when it cannot work. */
  visionProvider(settings: Settings): Promise<VisionProvider>;
  /** The content moderator the settings select (the analysing functions only). */
  moderator?(settings: Settings): Promise<Moderator>;
  /** Who screens generated names, when someone does (OpenAI's moderation when a key is configured). */
  textModerator?(settings: Settings): Promise<Moderator | undefined>;
  /** Photos moderation refused, by MD5. */
  blockedPhotos: BlockedPhotos;
  rateLimiter: RateLimiter;
  /** Jobs each caller has queued and not yet finished (slots on the rate limiter's counters; see meter.ts). */
  pendingJobs: ConcurrencyLimiter;
  /** The progress WebSocket's caps (socket-limits.ts): slots held at once (connections, subscriptions), and messages per second. */
  socketLimits: { connections: ConcurrencyLimiter; messages: RateLimiter };
  /** Who may use the admin: a static token (local) and/or signed-in users in this group. */
  admin: { token?: string; group: string };
  /** Dashboard counters, maintained on write. */
  stats: StatsStore;
  /** Operational metrics (CloudWatch in Lambda); absent locally. */
  telemetry?: Telemetry;
  /** Verifies signed-in users' bearer tokens; absent when no issuer is configured. */
  tokens?: TokenVerifier;
  /** Whether a secret (an API key) is configured, without reading its value. */
  hasSecret(name: string): Promise<boolean>;
  /** Image TTLs above this are refused (the deployment's bucket deletes images after it); none locally. */
  maxImageTtlHours?: number;
  /** Where clients reach the API (PHOTO_ANALYSIS_PUBLIC_BASE_URL; locally the server's own address): the origin of every link. */
  publicBaseUrl?: string;
  /** A proxy the deployment trusts sets X-Forwarded-Proto and X-Forwarded-Host (PHOTO_ANALYSIS_TRUSTED_PROXY). */
  trustedProxy?: boolean;
  now(): Date;
  newId(): string;
  /** Async analyses: their state, and who watches them. */
  jobs: JobStore;
  connections: ConnectionStore;
  /** Hands jobs to the worker (absent where no queue is configured: requireDep). */
  queue?: JobQueue;
  /** Posts progress to WebSocket connections (absent in functions that never notify: requireDep). */
  gateway?: ConnectionGateway;
  /** Where clients open the progress WebSocket, when the deployment says (API Gateway's WebSocket URL). */
  eventsUrl?: string;
  /** Added to a 429's detail: how to lift the limit where the caller runs the service (npm start). */
  rateLimitNote?: string;
  /** Decodes HEIC off the event loop (`npm start`'s worker threads); absent: on the calling thread, one at a time (Lambda). */
  heicDecoder?: HeicDecoder;
  /** Releases what the process holds beyond its clients (the local models' worker threads); `npm start` calls it when stopping. */
  dispose?(): Promise<void>;
  /** Waits (real time); injectable so tests can observe polling. */
  sleep?(ms: number): Promise<void>;
}

/** What each collaborator a server may lack is for, said when a request needs it and it is absent. */
const NOT_CONFIGURED = {
  staging: "Presigned uploads need S3 storage, which is not configured on this server (PHOTO_ANALYSIS_BUCKET).",
  queue: "Asynchronous analysis needs a job queue, which is not configured on this server (PHOTO_ANALYSIS_QUEUE_URL).",
  gateway: "Progress notifications need the WebSocket API's management endpoint, which is not configured on this server (PHOTO_ANALYSIS_EVENTS_CALLBACK_URL).",
} as const;

/** A collaborator this server may lack: the one way to take it, a NotConfiguredError (503) when it is absent. */
export function requireDep<K extends keyof typeof NOT_CONFIGURED>(deps: Pick<AppDeps, K>, name: K): NonNullable<AppDeps[K]> {
  const value = deps[name];
  if (value == null) throw new NotConfiguredError(NOT_CONFIGURED[name]);
  return value;
}

/** The store new images go to: S3 when enabled and available, else local disk. */
export function imageStoreForWrites(deps: AppDeps, settings: Settings): ImageStore {
  const store = (settings.PHOTO_ANALYSIS_USE_S3 ? deps.imageStores.s3 : undefined) ?? deps.imageStores.local;
  if (!store) throw new NotConfiguredError("No image store is configured on this server (PHOTO_ANALYSIS_BUCKET or PHOTO_ANALYSIS_LOCAL_IMAGE_DIR).");
  return store;
}

/** What operations watch: the dashboard's events, and each provider call's latency and outcome. */
export type TelemetryEvent = StatsEvent | { kind: "provider_call"; provider: string; ms: number; ok: boolean };

export interface Telemetry {
  record(event: TelemetryEvent): void;
}

/** Counts an event for the dashboard (and metrics); a counter failure is logged and never fails the request. */
export async function countEvent(deps: Pick<AppDeps, "stats" | "now" | "telemetry">, event: StatsEvent): Promise<void> {
  deps.telemetry?.record(event);
  try {
    await deps.stats.record(dayOf(deps.now()), event);
  } catch (error) {
    console.error("stats update failed", error);
  }
}
