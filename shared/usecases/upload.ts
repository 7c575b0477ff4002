import { rateLimitRules, type RateLimitStatus } from "../ratelimit/rate-limiter.js";
import { RateLimitedError, ValidationError } from "../domain/errors.js";
import type { Caller, PhotoAnalysisRecord } from "../domain/types.js";
import { md5Hex } from "../image/hash.js";
import { openImage, perceptualHash, resizedJpeg } from "../image/decode.js";
import { imageStoreForWrites, type AppDeps } from "./deps.js";

export interface UploadInput {
  bytes: Buffer;
  caller: Caller;
}

export interface UploadOutcome {
  cached: boolean;
  record: PhotoAnalysisRecord;
  /** Present when the upload was counted against a rate limit. */
  rateLimit?: RateLimitStatus;
}

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/heic": "heic",
  "image/avif": "avif",
};

/** The seed's "Image file too large. Maximum size is 10MB." */
export function tooLargeMessage(maxMegabytes: number): string {
  return `Image file too large. Maximum size is ${maxMegabytes}MB.`;
}

/**
 * The seed's data flow: validate, hash (MD5 + pHash), answer exact duplicates from the cache,
 * check the rate limit, ask the vision provider, store the image, save the record.
 * Nothing is stored unless the analysis succeeded; a failed analysis gives back the rate-limit unit.
 */
export async function analyzeUpload(deps: AppDeps, input: UploadInput): Promise<UploadOutcome> {
  const settings = await deps.settings();
  const maxMegabytes = settings.PHOTO_ANALYSIS_MAX_FILE_SIZE_MB;
  if (input.bytes.length === 0) throw ValidationError.field("image", "The submitted file is empty.");
  if (input.bytes.length > maxMegabytes * 1024 * 1024) throw ValidationError.field("image", tooLargeMessage(maxMegabytes));

  // Exact duplicates first: the same bytes were fully validated when first analysed, so a hit
  // needs no decoding at all (the cheapest answer is also the most common one).
  const fileHash = md5Hex(input.bytes);
  const existing = await deps.records.findByFileHash(fileHash, deps.now());
  if (existing) {
    const used = await deps.records.recordUse(existing.id, deps.now());
    if (used) return { cached: true, record: used };
  }

  const image = await openImage(input.bytes, { maxPixels: settings.PHOTO_ANALYSIS_MAX_PIXELS });
  const imagePhash = await perceptualHash(image);

  // Resolve the provider before counting the request: a misconfigured server must not eat quota.
  const provider = await deps.visionProvider(settings);
  let rateLimit: RateLimitStatus | undefined;
  let refund = async () => {};
  if (settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING) {
    const decision = await deps.rateLimiter.acquire(rateLimitRules(input.caller, settings), deps.now());
    if (!decision.allowed) throw new RateLimitedError(decision.used, decision.limit, decision.retryAfterSeconds);
    rateLimit = { limit: decision.limit, remaining: decision.remaining, resetSeconds: decision.resetSeconds };
    refund = decision.refund;
  }

  try {
    const jpeg = await resizedJpeg(image, settings.PHOTO_ANALYSIS_VISION_IMAGE_MAX_EDGE);
    const result = await provider.analyze({ jpeg, image, prompt: settings.PHOTO_ANALYSIS_PROMPT });

    const id = deps.newId();
    const created = deps.now();
    const store = imageStoreForWrites(deps, settings);
    const imagePath = `photo_analysis/${id}.${EXTENSIONS[image.mimeType] ?? "bin"}`;
    await store.put(imagePath, input.bytes, image.mimeType);

    const record: PhotoAnalysisRecord = {
      id,
      imagePhash,
      fileHash,
      fileSize: input.bytes.length,
      imagePath,
      storageType: store.storageType,
      contentType: image.mimeType,
      expiresAt: new Date(created.getTime() + settings.PHOTO_ANALYSIS_IMAGE_TTL_HOURS * 3_600_000).toISOString(),
      suggestions: result.suggestions,
      labels: result.labels.slice(0, 5),
      rawResponse: result.raw,
      aiVisionModel: result.model,
      tokenUsage: result.tokenUsage,
      userId: input.caller.userId,
      username: input.caller.username,
      fingerprint: input.caller.fingerprint,
      ipAddress: input.caller.ipAddress,
      timesUsed: 0,
      createdAt: created.toISOString(),
      updatedAt: created.toISOString(),
    };
    try {
      await deps.records.create(record);
    } catch (error) {
      // No record points at the image: remove it rather than leave an orphan.
      await store.delete(imagePath).catch(() => {});
      throw error;
    }
    return { cached: false, record, rateLimit };
  } catch (error) {
    await refund().catch((refundError) => console.error("rate-limit refund failed", refundError));
    throw error;
  }
}
