import type { Settings } from "../config/settings.js";
import type { StorageType } from "../domain/types.js";
import type { ImageStore, RecordStore, StagingStore, UploadClaims, UploadIntents } from "../stores/ports.js";
import type { VisionProvider } from "../vision/provider.js";
import type { RateLimiter } from "../ratelimit/rate-limiter.js";
import type { TokenVerifier } from "../auth/tokens.js";

/** Everything the use cases need, as ports. Built once per process by shared/runtime/context.ts. */
export interface AppDeps {
  /** Live settings (SSM in AWS, file/environment locally), cached. */
  settings(): Promise<Settings>;
  records: RecordStore;
  claims: UploadClaims;
  /** Presigned uploads (S3 only). */
  staging?: StagingStore;
  intents: UploadIntents;
  imageStores: Partial<Record<StorageType, ImageStore>>;
  /** The provider the settings select; throws VisionNotConfiguredError when it cannot work. */
  visionProvider(settings: Settings): Promise<VisionProvider>;
  rateLimiter: RateLimiter;
  /** Verifies signed-in users' bearer tokens; absent when no issuer is configured. */
  tokens?: TokenVerifier;
  now(): Date;
  newId(): string;
  /** Waits (real time); injectable so tests can observe polling. */
  sleep?(ms: number): Promise<void>;
}

/** The store new images go to: S3 when enabled and available, else local disk. */
export function imageStoreForWrites(deps: AppDeps, settings: Settings): ImageStore {
  const store = (settings.PHOTO_ANALYSIS_USE_S3 ? deps.imageStores.s3 : undefined) ?? deps.imageStores.local;
  if (!store) throw new Error("No image store is configured (set PHOTO_ANALYSIS_BUCKET or a local image directory)");
  return store;
}
