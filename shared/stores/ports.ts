import type { PhotoAnalysisRecord, StorageType } from "../domain/types.js";

/** Persistence of analysis records. The DynamoDB adapter is the production one. */
export interface RecordStore {
  /** Stores a new record; fails if the id exists. */
  create(record: PhotoAnalysisRecord): Promise<void>;
  get(id: string): Promise<PhotoAnalysisRecord | null>;
  /** Newest record for these exact bytes that has not expired at `now`. */
  findByFileHash(fileHash: string, now: Date): Promise<PhotoAnalysisRecord | null>;
  /** Atomically adds one to `times_used`; null if the record is gone. */
  recordUse(id: string, now: Date): Promise<PhotoAnalysisRecord | null>;
  /** Newest first, for a signed-in user or else a browser fingerprint. */
  listRecent(owner: { userId: string } | { fingerprint: string }, limit: number): Promise<PhotoAnalysisRecord[]>;
  /** Records whose expiry is at or before `now`, a page at a time; pass the returned cursor for the next page. */
  listExpired(now: Date, limit: number, cursor?: string): Promise<{ records: PhotoAnalysisRecord[]; cursor?: string }>;
  delete(id: string): Promise<void>;
}

export interface StoredImage {
  bytes: Buffer;
  contentType: string;
}

/** Where image bytes live: S3 in AWS, S3 or local disk locally. */
export interface ImageStore {
  readonly storageType: StorageType;
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** null when there is no such object. */
  get(key: string): Promise<StoredImage | null>;
  /** Deleting a missing object is not an error (cleanup must be idempotent). */
  delete(key: string): Promise<void>;
}
