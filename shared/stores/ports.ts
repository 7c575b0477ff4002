import type { Batch, Job, JobFailure, JobStage } from "../domain/jobs.js";
import type { PhotoAnalysisRecord, StorageType } from "../domain/types.js";

/** Persistence of analysis records. The DynamoDB adapter is the production one. */
export interface RecordStore {
  /**
   * Stores a new record: its index entries first, then the record itself, the commit point.
   * Repeating the same create (a retry) succeeds; another record with the id is refused.
   */
  create(record: PhotoAnalysisRecord): Promise<void>;
  /** Removes what a create that did not commit may have left (index entries); the record itself is untouched. */
  abandon(record: PhotoAnalysisRecord): Promise<void>;
  get(id: string): Promise<PhotoAnalysisRecord | null>;
  /** Newest record for these exact bytes that has not expired at `now` (and that `accept` accepts, among the newest few). */
  findByFileHash(fileHash: string, now: Date, accept?: (record: PhotoAnalysisRecord) => boolean): Promise<PhotoAnalysisRecord | null>;
  /** The closest unexpired record whose pHash is within `maxDistance` bits (at most MAX_INDEXED_DISTANCE). */
  findSimilar(imagePhash: string, maxDistance: number, now: Date): Promise<{ record: PhotoAnalysisRecord; distance: number } | null>;
  /** Atomically adds one to `times_used`; null if the record is gone. */
  recordUse(id: string, now: Date): Promise<PhotoAnalysisRecord | null>;
  /** Newest first, for a signed-in user or else a browser fingerprint. */
  listRecent(owner: { userId: string } | { fingerprint: string }, limit: number): Promise<PhotoAnalysisRecord[]>;
  /** Records whose expiry is at or before `now`, a page at a time; pass the returned cursor for the next page. */
  listExpired(now: Date, limit: number, cursor?: string): Promise<{ records: PhotoAnalysisRecord[]; cursor?: string }>;
  /** Admin: one page of a month's records, newest first, filtered; pass `nextKey` back for the next page. */
  pageByMonth(month: string, options: MonthPageOptions): Promise<{ records: PhotoAnalysisRecord[]; nextKey?: string }>;
  /** Admin lookups by hash, expired records included. */
  findAllByFileHash(fileHash: string): Promise<PhotoAnalysisRecord[]>;
  findAllByPhash(imagePhash: string): Promise<PhotoAnalysisRecord[]>;
  /** Removes the record and its index entries; deleting a missing record is not an error. */
  delete(record: PhotoAnalysisRecord): Promise<void>;
}

export interface AdminFilter {
  /** Matches the provider, the exact model, or a model prefix ("gpt-4o"). */
  model?: string;
  storageType?: "s3" | "local";
  expired?: boolean;
  signedIn?: boolean;
  /** Analyses moderation flagged (suggestive but allowed). */
  flagged?: boolean;
}

export interface MonthPageOptions {
  limit: number;
  startKey?: string;
  /** ISO timestamps bounding createdAt (inclusive). */
  fromIso?: string;
  toIso?: string;
  filter: AdminFilter;
  now: Date;
}

/** Who is analysing a photo right now, or which record answered it. */
export interface ClaimState {
  owner: string;
  /** Epoch ms: until then the claim holds (in flight: a short lease; done: the record's expiry). */
  leaseUntil: number;
  recordId?: string;
}

/**
 * One analysis per photo under concurrency: a conditional write on a base-table item keyed by the
 * file hash (GSIs are eventually consistent, so they cannot be the guard). A crashed request's
 * claim runs out after its lease and is taken over.
 */
export interface UploadClaims {
  /** True if `owner` now holds the claim (it was free, released, its lease ran out, or `owner` already held it). */
  acquire(fileHash: string, owner: string, leaseUntil: number, now: number): Promise<boolean>;
  read(fileHash: string): Promise<ClaimState | null>;
  /** Records the result; the claim then points waiters at `recordId` until `keepUntil`. Repeating it is harmless. */
  complete(fileHash: string, owner: string, recordId: string, keepUntil: number): Promise<void>;
  /** Gives the claim up after a failure, so a waiter can try. */
  release(fileHash: string, owner: string): Promise<void>;
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
  /** Keys under `prefix`, a page at a time, with when each was last written. */
  list(prefix: string, options: { limit: number; cursor?: string }): Promise<{ objects: { key: string; lastModified: Date }[]; cursor?: string }>;
}

/** Where large photos go first: a presigned browser upload straight to S3, then analysed from there. */
export interface StagingStore {
  /** A form (URL + fields) the client POSTs the file to; the policy caps size and content type. */
  createTarget(key: string, options: { maxBytes: number; contentType: string; expiresInSeconds: number }): Promise<{ url: string; fields: Record<string, string> }>;
  /** Size of the uploaded object, null if nothing was uploaded (yet). */
  size(key: string): Promise<number | null>;
  read(key: string): Promise<Buffer | null>;
  /** Stores a photo for later analysis (an async upload or a batch part). */
  put(key: string, bytes: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A promise of an upload: which caller may use it, and until when. */
export interface UploadIntent {
  id: string;
  /** "user:<id>", "fp:<fingerprint>" or "ip:<address>": only the same caller may analyse it. */
  owner: string;
  key: string;
  maxBytes: number;
  expiresAt: string;
}

export interface UploadIntents {
  create(intent: UploadIntent): Promise<void>;
  get(id: string): Promise<UploadIntent | null>;
  delete(id: string): Promise<void>;
}

/** Async analyses and batches. The DynamoDB adapter keeps them as items of the main table with a TTL. */
export interface JobStore {
  /** Writes the jobs, then the batch (the commit point: a batch is visible only with all its jobs). */
  create(jobs: Job[], batch?: Batch): Promise<void>;
  get(id: string): Promise<Job | null>;
  getBatch(id: string): Promise<{ batch: Batch; jobs: Job[] } | null>;
  /**
   * Moves a job forward to `stage` with the outcome fields; a job already at that stage or
   * further (or final) is left alone and null returned, so stages never go back and a final
   * answer is never replaced.
   */
  advance(id: string, stage: JobStage, outcome?: { cached?: boolean; recordId?: string; error?: JobFailure }, now?: Date): Promise<Job | null>;
  /** Removes jobs (and a batch) that were never queued. */
  remove(jobIds: string[], batchId?: string): Promise<void>;
}

/** Hands jobs to the worker: SQS in AWS, an in-process queue with the same semantics locally. */
export interface JobQueue {
  enqueue(jobIds: string[]): Promise<void>;
}

/** Who listens for progress: WebSocket connections and their subscriptions (items with a TTL). */
/** An open WebSocket connection: whose it is, and where its slots under the connection caps were counted. */
export interface OpenConnection {
  id: string;
  owner: string;
  expiresAt: string;
  /** The address it came from (the per-IP cap). */
  ip?: string | null;
  /** The counting window its slots were taken in (see ConcurrencyLimiter). */
  countedIn?: number;
}

export interface ConnectionStore {
  open(connection: OpenConnection): Promise<void>;
  owner(connectionId: string): Promise<string | null>;
  /** Forgets the connection; what it was (to release its slots), or null when it was not open. */
  close(connectionId: string): Promise<OpenConnection | null>;
  /** `topic` is a job id or a batch id. */
  subscribe(topic: string, connectionId: string, expiresAt: string): Promise<void>;
  subscribers(topic: string): Promise<string[]>;
  unsubscribe(topic: string, connectionId: string): Promise<void>;
}

/** Sends a message down a connection (API Gateway's management API, or the local WebSocket server). */
export interface ConnectionGateway {
  /** False when the connection is gone (closed by the client): its subscriptions can go. */
  post(connectionId: string, message: unknown): Promise<boolean>;
  /**
   * Ends a connection from the server's side. `code` and `reason` reach the client where the transport
   * allows it (the local server; API Gateway's DeleteConnection always closes with 1000).
   */
  close(connectionId: string, code: number, reason: string): Promise<void>;
}
