/** The domain model: one analysed photo, as the seed's PhotoAnalysis model. */

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

export interface PhotoAnalysisRecord {
  id: string;
  imagePhash: string;
  /** MD5 of the uploaded bytes, hex. */
  fileHash: string;
  /** Bytes uploaded (the seed's meaning). */
  fileSize: number;
  /** Bytes of the normalised image actually stored and served. */
  storedSize: number;
  /** Storage key (S3 key or path relative to the local image root); never exposed by the API. */
  imagePath: string;
  storageType: StorageType;
  contentType: string;
  /** ISO-8601; null means the image never expires. */
  expiresAt: string | null;
  suggestions: Suggestion[];
  labels: Label[];
  rawResponse: unknown;
  aiVisionModel: string;
  /** The provider that answered: openai, anthropic, gemini, compatible or local. */
  provider: string;
  tokenUsage: TokenUsage;
  /** From the per-model price table; null when the model's price is unknown. */
  estimatedCostUsd: number | null;
  /** The requested style, if any: a cached answer is reused only for the same style, context and language. */
  style: string | null;
  /** The caller's description of the room ("names for my hiking club"), if any. */
  context?: string | null;
  /** BCP 47 tag of the names' language; absent on records from before languages ("en"). */
  language?: string;
  /** Set when moderation flagged the photo (suggestive but allowed): its decision, labels and moderator. */
  moderation?: { decision: "allow" | "flag" | "block"; labels: { label: string; score: number }[]; provider: string };
  userId: string | null;
  username: string | null;
  fingerprint: string | null;
  ipAddress: string | null;
  timesUsed: number;
  createdAt: string;
  updatedAt: string;
}

/** Who is asking: a signed-in user, or an anonymous browser identified by fingerprint and IP. */
export interface Caller {
  userId: string | null;
  username: string | null;
  fingerprint: string | null;
  ipAddress: string | null;
}

export function isExpired(record: Pick<PhotoAnalysisRecord, "expiresAt">, now: Date): boolean {
  return record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime();
}
