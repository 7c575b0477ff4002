import type { ModerationVerdict } from "../moderation/moderation.js";
import type { PromptVariant } from "../domain/prompt.js";
import type { Settings } from "../config/settings.js";
import type { Caller, PhotoAnalysisRecord } from "../domain/types.js";
import { normalizedForStorage, type OpenedImage } from "../image/decode.js";
import { DEFAULT_MODEL_PRICES, estimateCostUsd } from "../vision/pricing.js";
import type { VisionResult } from "../vision/provider.js";
import { imageKey } from "../domain/image-keys.js";
import { isDefiniteRefusal } from "../stores/aws-errors.js";
import { countEvent, imageStoreForWrites, type AppDeps } from "./deps.js";

/**
 * The TTL in force: the setting, but never past the deployment's ceiling, after which the bucket's
 * lifecycle deletes images (a record must not promise an image the bucket has already dropped).
 */
export function imageTtlHours(deps: Pick<AppDeps, "maxImageTtlHours">, settings: Settings): number {
  const wanted = settings.PHOTO_ANALYSIS_IMAGE_TTL_HOURS;
  const ceiling = deps.maxImageTtlHours;
  if (ceiling === undefined || wanted <= ceiling) return wanted;
  console.error(
    `PHOTO_ANALYSIS_IMAGE_TTL_HOURS=${wanted} is over this deployment's ceiling of ${ceiling} h (the bucket lifecycle follows the ceiling): using ${ceiling}. Redeploy with -c maxImageTtlHours=${wanted} to allow it.`,
  );
  return ceiling;
}

export interface NewAnalysis {
  image: OpenedImage;
  result: VisionResult;
  fileHash: string;
  imagePhash: string;
  fileSize: number;
  variant: PromptVariant;
  caller: Caller;
  /** Moderation's labels when the photo was flagged (suggestive but allowed). */
  moderation?: ModerationVerdict;
}

/**
 * Stores an analysis. Order, each step safe to repeat:
 *   1. the image (a new key per analysis: a repeated PUT writes the same bytes);
 *   2. the record, whose PutItem is the commit point (its index entries go just before it and are
 *      ignored until it exists; the put accepts its own earlier attempt).
 * If the commit fails, a consistent read tells whether it happened anyway (a lost response): then
 * it stands. The image and index entries are removed only when the store refused the write (a 4xx
 * answer); after a timeout, a reset or a 5xx nothing is removed, and the cleanup's orphan sweep
 * deletes the image later if no record ever appeared. Committed data is never deleted.
 */
export async function persistAnalysis(deps: AppDeps, settings: Settings, analysis: NewAnalysis): Promise<PhotoAnalysisRecord> {
  const id = deps.newId();
  const created = deps.now();
  const store = imageStoreForWrites(deps, settings);
  // What is stored and served is the upright, metadata-free, size-capped copy, never the raw upload.
  const stored = await normalizedForStorage(analysis.image, settings.PHOTO_ANALYSIS_STORED_MAX_EDGE);
  const imagePath = imageKey(id, stored.contentType);
  const { result, caller } = analysis;
  const record: PhotoAnalysisRecord = {
    id,
    imagePhash: analysis.imagePhash,
    fileHash: analysis.fileHash,
    fileSize: analysis.fileSize,
    storedSize: stored.bytes.length,
    imagePath,
    storageType: store.storageType,
    contentType: stored.contentType,
    expiresAt: new Date(created.getTime() + imageTtlHours(deps, settings) * 3_600_000).toISOString(),
    suggestions: result.suggestions,
    labels: result.labels,
    rawResponse: result.raw,
    aiVisionModel: result.model,
    provider: result.provider,
    tokenUsage: result.tokenUsage,
    estimatedCostUsd: estimateCostUsd(result.model, result.tokenUsage, { ...DEFAULT_MODEL_PRICES, ...settings.PHOTO_ANALYSIS_MODEL_PRICES }),
    style: analysis.variant.style,
    context: analysis.variant.context,
    language: analysis.variant.language,
    ...(analysis.moderation ? { moderation: analysis.moderation } : {}),
    userId: caller.userId,
    username: caller.username,
    fingerprint: caller.fingerprint,
    ipAddress: caller.ipAddress,
    timesUsed: 0,
    createdAt: created.toISOString(),
    updatedAt: created.toISOString(),
  };
  try {
    await store.put(imagePath, stored.bytes, stored.contentType);
  } catch (error) {
    // A PUT that failed may still have landed: remove it if we can (no record will ever point at it).
    await store.delete(imagePath).catch(() => {});
    throw error;
  }
  try {
    await deps.records.create(record);
  } catch (error) {
    // The response may have been lost after the write applied: then the record stands.
    const found = await deps.records.get(id).catch(() => undefined);
    if (found) return committed(deps, record);
    // Removing the image is safe only when the write was surely refused; a timeout or a 5xx may
    // still apply later, and an image deleted under a late record would be lost data.
    if (found === null && isDefiniteRefusal(error)) await Promise.all([store.delete(imagePath).catch(() => {}), deps.records.abandon(record).catch(() => {})]);
    throw error;
  }
  return committed(deps, record);
}

async function committed(deps: AppDeps, record: PhotoAnalysisRecord): Promise<PhotoAnalysisRecord> {
  await countEvent(deps, {
    kind: "analysis",
    provider: record.provider,
    model: record.aiVisionModel,
    tokens: record.tokenUsage.total_tokens,
    costUsd: record.estimatedCostUsd,
    names: record.suggestions.map((suggestion) => suggestion.name),
  });
  return record;
}
