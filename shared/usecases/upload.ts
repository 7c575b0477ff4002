import { rateLimitRules, type RateLimitStatus } from "../ratelimit/rate-limiter.js";
import { AnalysisFailedError, PayloadTooLargeError, RateLimitedError, ValidationError } from "../domain/errors.js";
import type { Caller, PhotoAnalysisRecord } from "../domain/types.js";
import type { Settings } from "../config/settings.js";
import { md5Hex } from "../image/hash.js";
import { normalizedForStorage, openImage, perceptualHash, resizedJpeg } from "../image/decode.js";
import { countEvent, imageStoreForWrites, type AppDeps } from "./deps.js";
import type { Style } from "../vision/instructions.js";
import { DEFAULT_MODEL_PRICES, estimateCostUsd } from "../vision/pricing.js";

export interface UploadInput {
  bytes: Buffer;
  caller: Caller;
  /** "direct": the bytes came in the request body (capped for Lambda); "staged": uploaded to S3 with a presigned POST. */
  source?: "direct" | "staged";
  style?: Style;
}

export interface UploadOutcome {
  cached: boolean;
  record: PhotoAnalysisRecord;
  /** How a cached answer was found: the same bytes, or a perceptually similar photo at `distance` bits. */
  match?: { type: "exact" | "similar"; distance: number };
  /** The caller's rate-limit standing: after counting this analysis, or (cache hits) as it stands. */
  rateLimit?: RateLimitStatus;
}

const EXTENSIONS: Record<string, string> = { "image/jpeg": "jpg", "image/webp": "webp" };

/** The seed's "Image file too large. Maximum size is 10MB." */
export function tooLargeMessage(maxMegabytes: number): string {
  return `Image file too large. Maximum size is ${maxMegabytes}MB.`;
}

/**
 * The seed's data flow, with near-duplicates and concurrency: validate; MD5 → exact duplicate;
 * decode, pHash → near-duplicate; claim the photo (one analysis per photo even when uploads race);
 * rate limit; vision provider; store the image; save the record. Cache hits cost no quota.
 * Nothing is stored unless the analysis succeeded; a failure gives back the rate-limit unit and
 * the claim.
 */
export async function analyzeUpload(deps: AppDeps, input: UploadInput): Promise<UploadOutcome> {
  const settings = await deps.settings();
  const maxMegabytes = settings.PHOTO_ANALYSIS_MAX_FILE_SIZE_MB;
  if (input.bytes.length === 0) throw ValidationError.field("image", "The submitted file is empty.");
  if (input.bytes.length > maxMegabytes * 1024 * 1024) throw ValidationError.field("image", tooLargeMessage(maxMegabytes));
  const directMegabytes = settings.PHOTO_ANALYSIS_DIRECT_UPLOAD_MAX_MB;
  if ((input.source ?? "direct") === "direct" && input.bytes.length > directMegabytes * 1024 * 1024) {
    throw new PayloadTooLargeError({
      image: [
        `Image file too large for a direct upload (maximum ${directMegabytes}MB). Request an upload URL with POST /api/photo-analysis/upload-url/ to upload files up to ${maxMegabytes}MB.`,
      ],
    });
  }

  // Exact duplicates first: the same bytes were fully validated when first analysed, so a hit
  // needs no decoding at all (the cheapest answer is also the most common one). The dashboard
  // counter is written alongside, not in front of, the lookup.
  const fileHash = md5Hex(input.bytes);
  const style = input.style ?? null;
  const [exact] = await Promise.all([deps.records.findByFileHash(fileHash, deps.now()), countEvent(deps, { kind: "upload" })]);
  const exactHit = exact && exact.style === style && (await reuse(deps, exact.id, { type: "exact", distance: 0 }));
  if (exactHit) return cacheHit(deps, settings, input.caller, exactHit);

  const image = await openImage(input.bytes, { maxPixels: settings.PHOTO_ANALYSIS_MAX_PIXELS });
  const imagePhash = await perceptualHash(image);
  if (settings.PHOTO_ANALYSIS_ENABLE_SIMILARITY_MATCHING) {
    const similar = await deps.records.findSimilar(imagePhash, settings.PHOTO_ANALYSIS_SIMILARITY_THRESHOLD, deps.now());
    const similarHit =
      similar && similar.record.style === style && (await reuse(deps, similar.record.id, { type: "similar", distance: similar.distance }));
    if (similarHit) return cacheHit(deps, settings, input.caller, similarHit);
  }

  // Resolve the provider before counting the request: a misconfigured server must not eat quota.
  const provider = await deps.visionProvider(settings);
  const owner = deps.newId();
  // One analysis per photo and style.
  const claimKey = style ? `${fileHash}:${style}` : fileHash;
  const leaseMs = (settings.PHOTO_ANALYSIS_VISION_TIMEOUT_SECONDS * (settings.PHOTO_ANALYSIS_VISION_MAX_RETRIES + 1) + 30) * 1000;
  const waitDeadline = performance.now() + leaseMs;
  while (!(await deps.claims.acquire(claimKey, owner, deps.now().getTime() + leaseMs, deps.now().getTime()))) {
    // Someone else is analysing these bytes: wait for their record rather than pay twice.
    const settled = await waitForClaim(deps, claimKey, waitDeadline);
    if (settled) return cacheHit(deps, settings, input.caller, settled);
    if (performance.now() >= waitDeadline) throw new AnalysisFailedError(BUSY_MESSAGE);
  }

  let rateLimit: RateLimitStatus | undefined;
  let refund = async () => {};
  try {
    if (settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING) {
      const decision = await deps.rateLimiter.acquire(rateLimitRules(input.caller, settings), deps.now());
      if (!decision.allowed) {
        await countEvent(deps, { kind: "rate_limited" });
        throw new RateLimitedError(decision.used, decision.limit, decision.retryAfterSeconds);
      }
      rateLimit = { limit: decision.limit, remaining: decision.remaining, resetSeconds: decision.resetSeconds };
      refund = decision.refund;
    }

    const jpeg = await resizedJpeg(image, settings.PHOTO_ANALYSIS_VISION_IMAGE_MAX_EDGE);
    const result = await provider.analyze({ jpeg, image, prompt: settings.PHOTO_ANALYSIS_PROMPT, style: input.style });

    const id = deps.newId();
    const created = deps.now();
    const store = imageStoreForWrites(deps, settings);
    // What is stored and served is the upright, metadata-free, size-capped copy, never the raw upload.
    const stored = await normalizedForStorage(image, settings.PHOTO_ANALYSIS_STORED_MAX_EDGE);
    const imagePath = `photo_analysis/${id}.${EXTENSIONS[stored.contentType] ?? "bin"}`;
    await store.put(imagePath, stored.bytes, stored.contentType);

    const expiresAt = new Date(created.getTime() + settings.PHOTO_ANALYSIS_IMAGE_TTL_HOURS * 3_600_000);
    const record: PhotoAnalysisRecord = {
      id,
      imagePhash,
      fileHash,
      fileSize: input.bytes.length,
      storedSize: stored.bytes.length,
      imagePath,
      storageType: store.storageType,
      contentType: stored.contentType,
      expiresAt: expiresAt.toISOString(),
      suggestions: result.suggestions,
      labels: result.labels.slice(0, 5),
      rawResponse: result.raw,
      aiVisionModel: result.model,
      provider: result.provider,
      tokenUsage: result.tokenUsage,
      estimatedCostUsd: estimateCostUsd(result.model, result.tokenUsage, { ...DEFAULT_MODEL_PRICES, ...settings.PHOTO_ANALYSIS_MODEL_PRICES }),
      style,
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
    await deps.claims.complete(claimKey, owner, id, expiresAt.getTime());
    await countEvent(deps, {
      kind: "analysis",
      provider: record.provider,
      model: record.aiVisionModel,
      tokens: record.tokenUsage.total_tokens,
      costUsd: record.estimatedCostUsd,
      names: record.suggestions.map((suggestion) => suggestion.name),
    });
    return { cached: false, record, rateLimit };
  } catch (error) {
    if (error instanceof AnalysisFailedError) await countEvent(deps, { kind: "failed" });
    await deps.claims.release(claimKey, owner).catch((releaseError) => console.error("claim release failed", releaseError));
    await refund().catch((refundError) => console.error("rate-limit refund failed", refundError));
    throw error;
  }
}

/**
 * A cache hit costs no quota, but its response still says where the caller stands (a read-only peek).
 * The dashboard counter is awaited: Lambda freezes the process once the response is returned.
 */
async function cacheHit(deps: AppDeps, settings: Settings, caller: Caller, outcome: UploadOutcome): Promise<UploadOutcome> {
  const [status] = await Promise.all([
    settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING ? deps.rateLimiter.peek(rateLimitRules(caller, settings), deps.now()) : undefined,
    countEvent(deps, { kind: outcome.match?.type === "similar" ? "similar_hit" : "exact_hit" }),
  ]);
  if (!status) return outcome;
  return { ...outcome, rateLimit: { limit: status.limit, remaining: status.remaining, resetSeconds: status.resetSeconds } };
}

/** Records one more use of a stored analysis (times_used + 1); null if the record vanished meanwhile. */
async function reuse(deps: AppDeps, id: string, match: NonNullable<UploadOutcome["match"]>): Promise<UploadOutcome | null> {
  const used = await deps.records.recordUse(id, deps.now());
  return used ? { cached: true, record: used, match } : null;
}

const POLL_MS = 100;
const BUSY_MESSAGE = "This photo is already being analysed by another request; try again in a moment";

/**
 * Polls the claim until its owner finishes. Returns the cached outcome when a record appears, or
 * null when the claim was given up or its lease ran out (the caller then tries to take it).
 */
async function waitForClaim(deps: AppDeps, claimKey: string, deadline: number): Promise<UploadOutcome | null> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  while (performance.now() < deadline) {
    const claim = await deps.claims.read(claimKey);
    if (!claim || claim.leaseUntil < deps.now().getTime()) return null;
    if (claim.recordId) {
      const hit = await reuse(deps, claim.recordId, { type: "exact", distance: 0 });
      if (hit) return hit;
      return null;
    }
    await sleep(POLL_MS);
  }
  throw new AnalysisFailedError(BUSY_MESSAGE);
}
