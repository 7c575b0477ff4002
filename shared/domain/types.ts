/** The domain model: shared analyses of content, and the personal uploads they answer. */

export interface Suggestion {
  name: string;
  key: string;
  description: string;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** A concept a vision model saw in the photo (e.g. "coffee mug", 0.83). */
export interface Label {
  label: string;
  score: number;
}

export type StorageType = "s3" | "local";

/** Where a stored image is: its key in a store, and what it is. */
export interface StoredImageRef {
  /** Storage key (S3 key or path relative to the local image root); never exposed by the API. */
  path: string;
  storageType: StorageType;
  contentType: string;
  /** Bytes of the normalised image. */
  size: number;
}

/** Moderation's decision on a photo that was flagged (suggestive but allowed). */
export interface ModerationNote {
  decision: "allow" | "flag" | "block";
  labels: { label: string; score: number }[];
  provider: string;
}

/**
 * What is shared: the analysis of some content (these bytes, asked for in this style, context and
 * language), reused by the cache for anyone who sends the same or a similar photo. Nothing in it says
 * who uploaded, when, or from where: that is each caller's own Upload.
 */
export interface Analysis {
  id: string;
  /** MD5 of the analysed bytes, hex. */
  fileHash: string;
  imagePhash: string;
  /** A hash of style, context and language (see variantKey): a cached analysis answers only the same request. The context's text is not kept here. */
  variantKey: string;
  style: string | null;
  /** BCP 47 tag of the names' language. */
  language: string;
  suggestions: Suggestion[];
  labels: Label[];
  rawResponse: unknown;
  aiVisionModel: string;
  /** The provider that answered: openai, anthropic, gemini, compatible or local. */
  provider: string;
  tokenUsage: TokenUsage;
  /** From the per-model price table; null when the model's price is unknown. */
  estimatedCostUsd: number | null;
  moderation?: ModerationNote;
  /**
   * The newest stored image of exactly these bytes (one of its uploads' own images), copied for
   * another caller's exact hit instead of decoding again. Never exposed; may have been deleted since.
   */
  image: StoredImageRef | null;
  /** ISO-8601: the latest expiry of its uploads (moved forward when reused); null never expires. */
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * What is personal: one caller's upload. Its own id (the capability to read it and its image), its
 * own stored image (the caller's own bytes, normalised), who sent it and what they asked, pointing at
 * the shared analysis that answers it.
 */
export interface Upload {
  id: string;
  analysisId: string;
  /** ownerKey of the caller: "user:<id>", "fp:<fingerprint>" or "ip:<address>"; null once erased. */
  owner: string | null;
  userId: string | null;
  username: string | null;
  /** Only on uploads made anonymously (a signed-in caller's browser fingerprint is not kept). */
  fingerprint: string | null;
  ipAddress: string | null;
  /** The caller's description of the room ("names for my hiking club"), if any. */
  context: string | null;
  /** The style and language asked for. */
  style: string | null;
  language: string;
  /** MD5 and pHash of the caller's own bytes (the owner's and admins' view only). */
  fileHash: string;
  imagePhash: string;
  /** Bytes uploaded (as the API has always counted them). */
  fileSize: number;
  /** Bytes of the normalised image stored and served. */
  storedSize: number;
  /** Storage key of this upload's own image; never exposed by the API. */
  imagePath: string;
  storageType: StorageType;
  contentType: string;
  /** How many times this caller was answered from this upload again (the first answer is not counted). */
  timesUsed: number;
  /** Of the analysis, copied so that listings, and an upload whose analysis has gone, need no second read. */
  provider: string;
  aiVisionModel: string;
  suggestionCount: number;
  tokenUsage: TokenUsage;
  estimatedCostUsd: number | null;
  flagged: boolean;
  /** ISO-8601; null means the image never expires. */
  expiresAt: string | null;
  /** When the personal fields were erased (its image expired): the upload is then a tombstone. */
  erasedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What an answer shows of the analysis that answers an upload: its names and labels, and who made them at what cost. */
export type AnalysisAnswer = Pick<Analysis, "id" | "suggestions" | "labels" | "aiVisionModel" | "provider" | "tokenUsage" | "estimatedCostUsd">;

/** An upload as shown: the upload, and the analysis that answers it (null once that has gone). */
export interface UploadView<A extends AnalysisAnswer = Analysis> {
  upload: Upload;
  analysis: A | null;
}

/** Who is asking: a signed-in user, or an anonymous browser identified by fingerprint and IP. */
export interface Caller {
  userId: string | null;
  username: string | null;
  fingerprint: string | null;
  ipAddress: string | null;
}

export function isExpired(item: { expiresAt: string | null }, now: Date): boolean {
  return item.expiresAt !== null && Date.parse(item.expiresAt) <= now.getTime();
}

/**
 * An analysis's expiry once an upload that wants it kept until `wanted` uses it: only ever later (null
 * is never: an analysis that never expires still never does, and an upload without one extends nothing).
 */
export function extendedExpiry(current: string | null, wanted: string | null): string | null {
  return current !== null && wanted !== null && wanted > current ? wanted : current;
}

/** Whose an upload (or an upload URL, a job, a connection) is: the signed-in user, else the fingerprint, else the address. */
export function ownerKey(caller: Caller): string {
  if (caller.userId) return `user:${caller.userId}`;
  if (caller.fingerprint) return `fp:${caller.fingerprint}`;
  return `ip:${caller.ipAddress ?? "unknown"}`;
}

/** The owner keys a caller can prove: their user, their fingerprint, their address. */
export function ownerKeysOf(caller: Caller): string[] {
  return [caller.userId && `user:${caller.userId}`, caller.fingerprint && `fp:${caller.fingerprint}`, caller.ipAddress && `ip:${caller.ipAddress}`].filter(
    (key): key is string => Boolean(key),
  );
}

/**
 * Whether the caller owns the upload: the same signed-in user; the same fingerprint for an upload
 * made anonymously with one; the same address for one made with neither. Erased uploads have no owner.
 */
export function isOwner(upload: Pick<Upload, "owner">, caller: Caller): boolean {
  return upload.owner !== null && ownerKeysOf(caller).includes(upload.owner);
}
