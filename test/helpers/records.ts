import { randomUUID } from "node:crypto";
import { DEFAULT_VARIANT, variantKey } from "../../shared/domain/prompt.js";
import { ownerKey, type Analysis, type Upload } from "../../shared/domain/types.js";
import type { AppDeps } from "../../shared/usecases/deps.js";

let counter = 0;

/** A seeded upload and the analysis it points at. */
export type SeededUpload = Upload & { analysis: Analysis };

/**
 * Stores an analysis, an upload on it and the upload's image directly, bypassing the vision call:
 * for cleanup and listing tests. Overrides are the upload's; the analysis shares its hashes, model,
 * provider, creation time and expiry (as a fresh analysis and its first upload do).
 */
export async function seedUpload(deps: AppDeps, overrides: Partial<Upload> = {}): Promise<SeededUpload> {
  const id = randomUUID();
  const created = deps.now();
  const bytes = Buffer.from(`image bytes ${id}`);
  const n = ++counter;
  const base = {
    fileHash: randomUUID().replace(/-/g, ""),
    imagePhash: ((BigInt(n) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn).toString(16).padStart(16, "0"),
    aiVisionModel: "seed",
    provider: "local",
    createdAt: created.toISOString(),
    expiresAt: new Date(created.getTime() + 3600_000).toISOString(),
    ...overrides,
  };
  const caller = {
    userId: overrides.userId ?? null,
    username: overrides.username ?? null,
    fingerprint: overrides.fingerprint === undefined ? "seed-fp" : overrides.fingerprint,
    ipAddress: overrides.ipAddress ?? null,
  };
  const analysis: Analysis = {
    id: randomUUID(),
    fileHash: base.fileHash,
    imagePhash: base.imagePhash,
    variantKey: variantKey(DEFAULT_VARIANT),
    style: null,
    language: "en",
    suggestions: Array.from({ length: 10 }, (_, i) => ({ name: `Room ${i}`, key: `room-${i}`, description: "d" })),
    labels: [],
    rawResponse: { seeded: true },
    aiVisionModel: base.aiVisionModel,
    provider: base.provider,
    tokenUsage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    estimatedCostUsd: 0,
    image: null,
    expiresAt: base.expiresAt,
    createdAt: base.createdAt,
    updatedAt: base.createdAt,
  };
  const upload: Upload = {
    id,
    analysisId: analysis.id,
    owner: ownerKey(caller),
    ...caller,
    context: null,
    style: null,
    language: "en",
    fileSize: bytes.length,
    storedSize: bytes.length,
    imagePath: `photo_analysis/${id}.jpg`,
    storageType: "s3",
    contentType: "image/jpeg",
    timesUsed: 0,
    suggestionCount: 10,
    tokenUsage: analysis.tokenUsage,
    estimatedCostUsd: 0,
    flagged: false,
    erasedAt: null,
    updatedAt: base.createdAt,
    ...base,
  };
  await deps.imageStores[upload.storageType]!.put(upload.imagePath, bytes, upload.contentType);
  await deps.analyses.create({
    ...analysis,
    image: { path: upload.imagePath, storageType: upload.storageType, contentType: upload.contentType, size: upload.storedSize },
  });
  await deps.uploads.create(upload);
  return { ...upload, analysis };
}
