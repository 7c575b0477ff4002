import { createHash } from "node:crypto";
import { BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DEFAULT_LANGUAGE } from "../domain/prompt.js";
import type { Analysis, StoredImageRef, Upload } from "../domain/types.js";
import { type OwnRepeat, variantKeyOf } from "./ports.js";
import { isInformativeHash } from "../image/hash.js";
import { phashSegments } from "../image/phash-index.js";
import { EXPIRY_SHARDS, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, ttlSeconds } from "./table-schema.js";

/**
 * How analyses and uploads are laid out in the table (one definition for both stores and the
 * migration):
 *
 *   ANALYSIS#<id> / ANALYSIS        the shared analysis (byFileHash, byPhash, byExpiry)
 *   ANALYSIS#<id> / PHOTO#<upload>  link: an upload answered by it (admin lookups by hash; no personal field)
 *   PHSEG#<segment> / <analysis id> pHash index entry (5 per informative hash)
 *   PHOTO#<id> / PHOTO              the personal upload (byUser, byFingerprint, byMonth, byExpiry)
 *   OWNER#<ownerKey> / <analysis>   owner index: the caller's own upload answered by an analysis
 *   OWNER#<ownerKey> / REPEAT#<md5>#<variant>   the owner's repeat entry: their upload of exactly these
 *                                   bytes asked this way, with the analysis's names and labels
 *
 * An upload keeps the hashes of its own bytes under other names (uploadFileHash, uploadPhash), so
 * the hash indexes hold analyses only.
 */

/** DynamoDB deletes an item by TTL only this long after its expiry, so the cleanup job (which also deletes images) runs first. */
export const TTL_GRACE_SECONDS = 3 * 24 * 3600;
export const ANALYSIS_SORT_KEY = "ANALYSIS";
export const UPLOAD_SORT_KEY = "PHOTO";

export type Item = Record<string, unknown>;

export function analysisKey(id: string): Item {
  return { [PARTITION_KEY]: `ANALYSIS#${id}`, [SORT_KEY]: ANALYSIS_SORT_KEY };
}

export function uploadKey(id: string): Item {
  return { [PARTITION_KEY]: `PHOTO#${id}`, [SORT_KEY]: UPLOAD_SORT_KEY };
}

export function ownerIndexKey(owner: string, analysisId: string): Item {
  return { [PARTITION_KEY]: `OWNER#${owner}`, [SORT_KEY]: analysisId };
}

export function repeatKey(owner: string, fileHash: string, variantKey: string): Item {
  return { [PARTITION_KEY]: `OWNER#${owner}`, [SORT_KEY]: `REPEAT#${fileHash}#${variantKey}` };
}

/** Where an upload's repeat entry would be (an upload with an owner; whether it has one depends on its analysis). */
export function repeatKeyOf(upload: Upload): Item | null {
  return upload.owner ? repeatKey(upload.owner, upload.fileHash, variantKeyOf(upload)) : null;
}

export function repeatToItem(repeat: OwnRepeat): Item {
  return {
    ...repeatKey(repeat.owner, repeat.fileHash, repeat.variantKey),
    uploadId: repeat.uploadId,
    analysisId: repeat.analysisId,
    suggestions: repeat.suggestions,
    labels: repeat.labels,
    ...(repeat.expiresAt ? { expiresAt: repeat.expiresAt } : {}),
    ...ttlOf(repeat.expiresAt),
  };
}

export function repeatFromItem(item: Item): OwnRepeat {
  const [, fileHash, variantKey] = (item[SORT_KEY] as string).split("#");
  return {
    owner: (item[PARTITION_KEY] as string).slice("OWNER#".length),
    fileHash: fileHash!,
    variantKey: variantKey!,
    uploadId: item.uploadId as string,
    analysisId: item.analysisId as string,
    suggestions: item.suggestions as OwnRepeat["suggestions"],
    labels: (item.labels as OwnRepeat["labels"] | undefined) ?? [],
    expiresAt: str(item, "expiresAt"),
  };
}

export function analysisLinkKey(analysisId: string, uploadId: string): Item {
  return { [PARTITION_KEY]: `ANALYSIS#${analysisId}`, [SORT_KEY]: `PHOTO#${uploadId}` };
}

export function expiryShard(id: string): string {
  const bucket = createHash("md5").update(id).digest()[0]! % EXPIRY_SHARDS;
  return `EXPIRY#${bucket}`;
}

/** The TTL attribute of anything that lives as long as an item expiring at `expiresAt` (none for "never"). */
export function ttlOf(expiresAt: string | null): Item {
  return expiresAt ? { [TTL_ATTRIBUTE]: ttlSeconds(expiresAt, TTL_GRACE_SECONDS) } : {};
}

/** Attributes that are absent, not null, when empty: sparse indexes key on them. */
function withoutNulls(item: Item): Item {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== null && value !== undefined));
}

export function analysisToItem(analysis: Analysis): Item {
  return withoutNulls({
    ...analysisKey(analysis.id),
    ...analysis,
    // Provider replies can hold empty strings and odd nesting; a string round-trips exactly.
    rawResponse: JSON.stringify(analysis.rawResponse ?? null),
    ...(analysis.expiresAt ? { expiryShard: expiryShard(analysis.id) } : {}),
    ...ttlOf(analysis.expiresAt),
  });
}

const str = (item: Item, key: string) => (typeof item[key] === "string" ? (item[key] as string) : null);

export function analysisFromItem(item: Item): Analysis {
  return {
    id: item.id as string,
    fileHash: item.fileHash as string,
    imagePhash: item.imagePhash as string,
    variantKey: item.variantKey as string,
    style: str(item, "style"),
    language: str(item, "language") ?? DEFAULT_LANGUAGE,
    suggestions: item.suggestions as Analysis["suggestions"],
    labels: (item.labels as Analysis["labels"] | undefined) ?? [],
    rawResponse: typeof item.rawResponse === "string" ? JSON.parse(item.rawResponse) : null,
    aiVisionModel: item.aiVisionModel as string,
    provider: (item.provider as string | undefined) ?? "openai",
    tokenUsage: item.tokenUsage as Analysis["tokenUsage"],
    estimatedCostUsd: typeof item.estimatedCostUsd === "number" ? item.estimatedCostUsd : null,
    ...(item.moderation ? { moderation: item.moderation as Analysis["moderation"] } : {}),
    image: (item.image as StoredImageRef | undefined) ?? null,
    expiresAt: str(item, "expiresAt"),
    createdAt: item.createdAt as string,
    updatedAt: (item.updatedAt as string | undefined) ?? (item.createdAt as string),
  };
}

export function uploadToItem(upload: Upload): Item {
  const { fileHash, imagePhash, flagged, ...rest } = upload;
  return withoutNulls({
    ...uploadKey(upload.id),
    ...rest,
    uploadFileHash: fileHash,
    uploadPhash: imagePhash,
    ...(flagged ? { flagged: true } : {}),
    createdMonth: upload.createdAt.slice(0, 7),
    // In the expiry index until erased (a tombstone waits for its TTL only).
    ...(upload.expiresAt && !upload.erasedAt ? { expiryShard: expiryShard(upload.id) } : {}),
    ...ttlOf(upload.expiresAt),
  });
}

export function uploadFromItem(item: Item): Upload {
  return {
    id: item.id as string,
    analysisId: item.analysisId as string,
    owner: str(item, "owner"),
    userId: str(item, "userId"),
    username: str(item, "username"),
    fingerprint: str(item, "fingerprint"),
    ipAddress: str(item, "ipAddress"),
    context: str(item, "context"),
    style: str(item, "style"),
    language: str(item, "language") ?? DEFAULT_LANGUAGE,
    fileHash: item.uploadFileHash as string,
    imagePhash: item.uploadPhash as string,
    fileSize: Number(item.fileSize),
    storedSize: Number(item.storedSize ?? item.fileSize),
    imagePath: item.imagePath as string,
    storageType: item.storageType as Upload["storageType"],
    contentType: item.contentType as string,
    timesUsed: Number(item.timesUsed ?? 0),
    provider: item.provider as string,
    aiVisionModel: item.aiVisionModel as string,
    suggestionCount: Number(item.suggestionCount ?? 0),
    tokenUsage: (item.tokenUsage as Upload["tokenUsage"] | undefined) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    estimatedCostUsd: typeof item.estimatedCostUsd === "number" ? item.estimatedCostUsd : null,
    flagged: item.flagged === true,
    expiresAt: str(item, "expiresAt"),
    erasedAt: str(item, "erasedAt"),
    createdAt: item.createdAt as string,
    updatedAt: (item.updatedAt as string | undefined) ?? (item.createdAt as string),
  };
}

/** One small item per pHash segment: pk `PHSEG#<segment>`, sk the analysis id. Featureless hashes get none (exact bytes only). */
export function segmentItems(analysis: Pick<Analysis, "id" | "imagePhash" | "expiresAt">): Item[] {
  if (!isInformativeHash(analysis.imagePhash)) return [];
  return phashSegments(analysis.imagePhash).map((segment) => ({
    [PARTITION_KEY]: `PHSEG#${segment}`,
    [SORT_KEY]: analysis.id,
    imagePhash: analysis.imagePhash,
    ...(analysis.expiresAt ? { expiresAt: analysis.expiresAt } : {}),
    ...ttlOf(analysis.expiresAt),
  }));
}

/** The owner-index entry, the repeat entry (when it has one) and the analysis link an upload is written with (its commit comes after them). */
export function uploadIndexItems(upload: Upload, repeat?: OwnRepeat | null): Item[] {
  const link = { ...analysisLinkKey(upload.analysisId, upload.id), uploadId: upload.id, ...ttlOf(upload.expiresAt) };
  if (!upload.owner) return [link];
  return [
    {
      ...ownerIndexKey(upload.owner, upload.analysisId),
      uploadId: upload.id,
      ...(upload.expiresAt ? { expiresAt: upload.expiresAt } : {}),
      ...ttlOf(upload.expiresAt),
    },
    ...(repeat ? [repeatToItem(repeat)] : []),
    link,
  ];
}

export const keyOf = (item: Item): Item => ({ [PARTITION_KEY]: item[PARTITION_KEY], [SORT_KEY]: item[SORT_KEY] });

type WriteRequests = NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]["RequestItems"]>[string];

/** BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed (with backoff). */
export async function batchWrite(client: DynamoDBDocumentClient, tableName: string, requests: WriteRequests): Promise<void> {
  for (let start = 0; start < requests.length; start += 25) {
    let pending = requests.slice(start, start + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      if (attempt > 8) throw new Error("DynamoDB kept returning unprocessed writes");
      const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = UnprocessedItems?.[tableName] ?? [];
    }
  }
}

export const putRequests = (items: Item[]): WriteRequests => items.map((Item) => ({ PutRequest: { Item } }));
export const deleteRequests = (items: Item[]): WriteRequests => items.map((item) => ({ DeleteRequest: { Key: keyOf(item) } }));
