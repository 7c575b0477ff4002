import { randomUUID } from "node:crypto";
import type { PhotoAnalysisRecord } from "../../shared/domain/types.js";
import type { AppDeps } from "../../shared/usecases/deps.js";

let counter = 0;

/** Stores a record (and its image) directly, bypassing the vision call: for cleanup and listing tests. */
export async function seedRecord(deps: AppDeps, overrides: Partial<PhotoAnalysisRecord> = {}): Promise<PhotoAnalysisRecord> {
  const id = randomUUID();
  const created = deps.now();
  const bytes = Buffer.from(`image bytes ${id}`);
  const n = ++counter;
  const record: PhotoAnalysisRecord = {
    id,
    imagePhash: (BigInt(n) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn).toString(16).padStart(16, "0"),
    fileHash: randomUUID().replace(/-/g, ""),
    fileSize: bytes.length,
    storedSize: bytes.length,
    imagePath: `photo_analysis/${id}.jpg`,
    storageType: "s3",
    contentType: "image/jpeg",
    expiresAt: new Date(created.getTime() + 3600_000).toISOString(),
    suggestions: Array.from({ length: 10 }, (_, i) => ({ name: `Room ${i}`, key: `room-${i}`, description: "d" })),
    labels: [],
    rawResponse: { seeded: true },
    aiVisionModel: "seed",
    provider: "local",
    estimatedCostUsd: 0,
    style: null,
    tokenUsage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    userId: null,
    username: null,
    fingerprint: "seed-fp",
    ipAddress: null,
    timesUsed: 0,
    createdAt: created.toISOString(),
    updatedAt: created.toISOString(),
    ...overrides,
  };
  await deps.imageStores[record.storageType]!.put(record.imagePath, bytes, record.contentType);
  await deps.records.create(record);
  return record;
}
