import type { ModerationVerdict } from "../moderation/moderation.js";
import { variantKey, type PromptVariant } from "../domain/prompt.js";
import type { Settings } from "../config/settings.js";
import { extendedExpiry, ownerKey, type Analysis, type Caller, type StoredImageRef, type Upload } from "../domain/types.js";
import { normalizedForStorage, openImage, type OpenedImage } from "../image/decode.js";
import { DEFAULT_MODEL_PRICES, estimateCostUsd } from "../vision/pricing.js";
import type { VisionResult } from "../vision/provider.js";
import { imageKey } from "../domain/image-keys.js";
import { isDefiniteRefusal } from "../stores/aws-errors.js";
import { ownRepeatOf, type ImageStore } from "../stores/ports.js";
import { countEvent, imageStoreForWrites, type AppDeps } from "./deps.js";

/**
 * The TTL in force: the setting, but never past the deployment's ceiling, after which the bucket's
 * lifecycle deletes images (an upload must not promise an image the bucket has already dropped).
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

/** One caller's photo on its way to an upload. */
export interface Photo {
  /** The caller's own bytes. */
  bytes: Buffer;
  fileHash: string;
  /** Decoded already (a miss, a similar hit, a waiter); an exact hit decodes only when it cannot copy. */
  image?: OpenedImage;
  imagePhash?: string;
  caller: Caller;
  variant: PromptVariant;
}

export interface NewAnalysis {
  photo: Photo & { image: OpenedImage; imagePhash: string };
  result: VisionResult;
  /** Moderation's labels when the photo was flagged (suggestive but allowed). */
  moderation?: ModerationVerdict;
  /** The id the caller's upload will have: its image is stored under it now. */
  uploadId: string;
}

const expiryFrom = (deps: AppDeps, settings: Settings, created: Date) => new Date(created.getTime() + imageTtlHours(deps, settings) * 3_600_000).toISOString();

/**
 * Stores a new analysis and the caller's image (under the upload's id). Order, each step safe to repeat:
 *   1. the image (a new key per upload: a repeated PUT writes the same bytes);
 *   2. the analysis, whose PutItem is its commit point (index entries just before it).
 * If the commit fails, a consistent read tells whether it happened anyway (a lost response): then it
 * stands. The image and index entries are removed only when the store refused the write (a 4xx);
 * after a timeout, a reset or a 5xx nothing is removed, and the cleanup's orphan sweep deletes the
 * image later if no upload ever appears. Committed data is never deleted.
 */
export async function persistAnalysis(deps: AppDeps, settings: Settings, fresh: NewAnalysis): Promise<{ analysis: Analysis; image: StoredImageRef }> {
  const created = deps.now();
  const store = imageStoreForWrites(deps, settings);
  // What is stored and served is the upright, metadata-free, size-capped copy, never the raw upload.
  const image = await storeNormalized(store, settings, fresh.photo.image, fresh.uploadId);
  const { result, photo } = fresh;
  const analysis: Analysis = {
    id: deps.newId(),
    fileHash: photo.fileHash,
    imagePhash: photo.imagePhash,
    variantKey: variantKey(photo.variant),
    style: photo.variant.style,
    language: photo.variant.language,
    suggestions: result.suggestions,
    labels: result.labels,
    rawResponse: result.raw,
    aiVisionModel: result.model,
    provider: result.provider,
    tokenUsage: result.tokenUsage,
    estimatedCostUsd: estimateCostUsd(result.model, result.tokenUsage, { ...DEFAULT_MODEL_PRICES, ...settings.PHOTO_ANALYSIS_MODEL_PRICES }),
    ...(fresh.moderation ? { moderation: fresh.moderation } : {}),
    image,
    expiresAt: expiryFrom(deps, settings, created),
    createdAt: created.toISOString(),
    updatedAt: created.toISOString(),
  };
  try {
    await deps.analyses.create(analysis);
  } catch (error) {
    // The response may have been lost after the write applied: then the analysis stands.
    const found = await deps.analyses.get(analysis.id).catch(() => undefined);
    if (!found) {
      // Removing the image is safe only when the write was surely refused; a timeout or a 5xx may
      // still apply later, and an image deleted under a late write would be lost data.
      if (found === null && isDefiniteRefusal(error))
        await Promise.all([store.delete(image.path).catch(() => {}), deps.analyses.abandon(analysis).catch(() => {})]);
      throw error;
    }
  }
  await countEvent(deps, {
    kind: "analysis",
    provider: analysis.provider,
    model: analysis.aiVisionModel,
    tokens: analysis.tokenUsage.total_tokens,
    costUsd: analysis.estimatedCostUsd,
    names: analysis.suggestions.map((suggestion) => suggestion.name),
  });
  return { analysis, image };
}

/** The caller's upload on an analysis, its image already stored. */
export function newUpload(deps: AppDeps, settings: Settings, photo: Photo, analysis: Analysis, image: StoredImageRef, id: string): Upload {
  const created = deps.now();
  const { caller, variant } = photo;
  return {
    id,
    analysisId: analysis.id,
    owner: ownerKey(caller),
    userId: caller.userId,
    username: caller.username,
    // A signed-in caller's browser fingerprint is not kept: it would list their uploads as anonymous ones.
    fingerprint: caller.userId ? null : caller.fingerprint,
    ipAddress: caller.ipAddress,
    context: variant.context,
    style: variant.style,
    language: variant.language,
    fileHash: photo.fileHash,
    imagePhash: photo.imagePhash ?? analysis.imagePhash,
    fileSize: photo.bytes.length,
    storedSize: image.size,
    imagePath: image.path,
    storageType: image.storageType,
    contentType: image.contentType,
    timesUsed: 0,
    provider: analysis.provider,
    aiVisionModel: analysis.aiVisionModel,
    suggestionCount: analysis.suggestions.length,
    tokenUsage: analysis.tokenUsage,
    estimatedCostUsd: analysis.estimatedCostUsd,
    flagged: analysis.moderation?.decision === "flag",
    expiresAt: expiryFrom(deps, settings, created),
    erasedAt: null,
    createdAt: created.toISOString(),
    updatedAt: created.toISOString(),
  };
}

/**
 * Writes an upload, the commit point of the caller's answer (its owner-index and repeat entries and
 * link just before it). A lost response is recognised by a consistent read; the image and the entries
 * are removed only after a definite refusal, as for analyses.
 */
export async function commitUpload(deps: AppDeps, upload: Upload, analysis: Analysis): Promise<Upload> {
  try {
    await deps.uploads.create(upload, ownRepeatOf(upload, analysis));
  } catch (error) {
    const found = await deps.uploads.get(upload.id).catch(() => undefined);
    if (found) return upload;
    if (found === null && isDefiniteRefusal(error)) {
      await Promise.all([deps.imageStores[upload.storageType]?.delete(upload.imagePath).catch(() => {}), deps.uploads.abandon(upload).catch(() => {})]);
    }
    throw error;
  }
  return upload;
}

/**
 * Another caller's photo answered by an existing analysis (no vision call, no unit charged): their
 * own upload with their own image. Exactly the same bytes are copied inside the store from the
 * analysis's newest stored image when it is still there; otherwise (or for a similar photo) the
 * caller's own bytes are normalised and stored. The analysis is kept at least as long as the new
 * upload. Null when the analysis vanished meanwhile (the caller is then answered as a miss).
 */
export async function attachUpload(deps: AppDeps, settings: Settings, photo: Photo, analysis: Analysis): Promise<Upload | null> {
  const id = deps.newId();
  const store = imageStoreForWrites(deps, settings);
  const sameBytes = photo.fileHash === analysis.fileHash;
  const image =
    (sameBytes ? await copyImage(store, analysis.image, id) : null) ??
    (await storeNormalized(store, settings, photo.image ?? (await openImage(photo.bytes, { maxPixels: settings.PHOTO_ANALYSIS_MAX_PIXELS })), id));
  const upload = newUpload(deps, settings, photo, analysis, image, id);
  const kept = await deps.analyses.extend(analysis, upload.expiresAt, deps.now(), sameBytes ? image : undefined).catch(async (error: unknown) => {
    await store.delete(image.path).catch(() => {});
    throw error;
  });
  if (!kept) {
    await store.delete(image.path).catch(() => {});
    return null;
  }
  // Kept at least as long as the upload now.
  return commitUpload(deps, upload, { ...analysis, expiresAt: extendedExpiry(analysis.expiresAt, upload.expiresAt) });
}

/** A copy of the analysis's stored image under the new upload's key, when the source is still there (in this store). */
async function copyImage(store: ImageStore, source: StoredImageRef | null, uploadId: string): Promise<StoredImageRef | null> {
  if (!source || source.storageType !== store.storageType) return null;
  const path = imageKey(uploadId, source.contentType);
  try {
    return (await store.copy(source.path, path)) ? { ...source, path } : null;
  } catch (error) {
    // A copy that failed is no worse than a miss of the source: the caller's own bytes are stored instead.
    console.error("image copy failed; storing the upload's own bytes", error);
    return null;
  }
}

async function storeNormalized(store: ImageStore, settings: Settings, image: OpenedImage, uploadId: string): Promise<StoredImageRef> {
  const stored = await normalizedForStorage(image, settings.PHOTO_ANALYSIS_STORED_MAX_EDGE);
  const path = imageKey(uploadId, stored.contentType);
  try {
    await store.put(path, stored.bytes, stored.contentType);
  } catch (error) {
    // A PUT that failed may still have landed: remove it if we can (no upload will ever point at it).
    await store.delete(path).catch(() => {});
    throw error;
  }
  return { path, storageType: store.storageType, contentType: stored.contentType, size: stored.bytes.length };
}
