import type { Batch, Job, JobFailure, JobStage } from "../domain/jobs.js";
import { variantKey } from "../domain/prompt.js";
import { type Analysis, isExpired, type Label, type StorageType, type StoredImageRef, type Suggestion, type Upload } from "../domain/types.js";

/**
 * The shared analyses (content-addressed: these bytes, asked this way). The DynamoDB adapter is the
 * production one; its pHash index entries point at analyses only.
 */
export interface AnalysisStore {
  /**
   * Stores a new analysis: its index entries first, then the analysis itself, the commit point.
   * Repeating the same create (a retry) succeeds; another analysis with the id is refused.
   */
  create(analysis: Analysis): Promise<void>;
  /** Removes what a create that did not commit may have left (index entries); the analysis itself is untouched. */
  abandon(analysis: Analysis): Promise<void>;
  get(id: string): Promise<Analysis | null>;
  /** Newest analysis of these exact bytes that has not expired at `now` (and that `accept` accepts, among the newest few). */
  findByFileHash(fileHash: string, now: Date, accept?: (analysis: Analysis) => boolean): Promise<Analysis | null>;
  /** The closest unexpired analysis whose pHash is within `maxDistance` bits (at most MAX_INDEXED_DISTANCE). */
  findSimilar(imagePhash: string, maxDistance: number, now: Date): Promise<{ analysis: Analysis; distance: number } | null>;
  /**
   * Another upload relies on it: keeps it (and its index entries) at least until `expiresAt`, never
   * moving an expiry back, and when `image` is given points at that newer stored copy of its bytes.
   * False when the analysis is gone.
   */
  extend(analysis: Analysis, expiresAt: string | null, now: Date, image?: StoredImageRef): Promise<boolean>;
  /** Analyses whose expiry is at or before `now`, a page at a time; pass the returned cursor for the next page. */
  listExpired(now: Date, limit: number, cursor?: string): Promise<{ analyses: Analysis[]; cursor?: string }>;
  /** Admin lookups by hash, expired analyses included. */
  findAllByFileHash(fileHash: string): Promise<Analysis[]>;
  findAllByPhash(imagePhash: string): Promise<Analysis[]>;
  /** Removes the analysis with its index entries and upload links; deleting a missing one is not an error. */
  delete(analysis: Analysis): Promise<void>;
}

/** What erasing an upload removes: who sent it, from where, and what they wrote. */
export const PERSONAL_ATTRIBUTES = ["owner", "userId", "username", "fingerprint", "ipAddress", "context"] as const satisfies readonly (keyof Upload)[];

/**
 * An owner's repeat entry: their upload of exactly these bytes asked this way, with what its answer
 * shows of the analysis (names and labels; the upload has the rest), so that the owner sending the
 * same photo again is answered with one read and one write. Only an upload of exactly the analysed
 * bytes has one (a near-duplicate's upload is found through its analysis). It is personal: kept
 * with the upload, removed with it.
 */
export interface OwnRepeat {
  owner: string;
  /** MD5 of the owner's bytes (the analysis's too). */
  fileHash: string;
  /** How they asked (variantKey of the upload's style, context and language). */
  variantKey: string;
  uploadId: string;
  analysisId: string;
  suggestions: Suggestion[];
  labels: Label[];
  /** The earlier of the upload's and the analysis's expiries: from then on the entry answers nothing. */
  expiresAt: string | null;
}

/** How an upload was asked for, as a cached analysis is matched (variantKey). */
export function variantKeyOf(upload: Pick<Upload, "style" | "context" | "language">): string {
  return variantKey({ style: upload.style, context: upload.context, language: upload.language });
}

/** The repeat entry of an owner's upload answered by `analysis`; null for an erased upload, or one of other bytes (a near-duplicate). */
export function ownRepeatOf(upload: Upload, analysis: Pick<Analysis, "id" | "fileHash" | "suggestions" | "labels" | "expiresAt">): OwnRepeat | null {
  if (!upload.owner || upload.fileHash !== analysis.fileHash || upload.analysisId !== analysis.id) return null;
  // ISO times in one format: the first in order is the earliest.
  const expiries = [upload.expiresAt, analysis.expiresAt].filter((expiry): expiry is string => expiry !== null).sort();
  return {
    owner: upload.owner,
    fileHash: upload.fileHash,
    variantKey: variantKeyOf(upload),
    uploadId: upload.id,
    analysisId: analysis.id,
    suggestions: analysis.suggestions,
    labels: analysis.labels,
    expiresAt: expiries[0] ?? null,
  };
}

/** The personal uploads, each pointing at the analysis that answers it. */
export interface UploadStore {
  /**
   * Stores a new upload: its owner-index entry, its repeat entry (when given) and its analysis link
   * first, then the upload itself, the commit point. Repeating the same create (a retry) succeeds;
   * another upload with the id is refused.
   */
  create(upload: Upload, repeat?: OwnRepeat | null): Promise<void>;
  /** Removes what a create that did not commit may have left (the owner-index and repeat entries, the link). */
  abandon(upload: Upload): Promise<void>;
  get(id: string): Promise<Upload | null>;
  /**
   * The owner's own unexpired upload answered by this analysis, found through the owner index (one
   * read) with one more use counted (useOwn); null when they have none.
   */
  reuseOwn(owner: string, analysisId: string, now: Date, token: string): Promise<Upload | null>;
  /** The owner's unexpired repeat entry for these bytes asked this way (one consistent read); null when there is none. */
  findRepeat(owner: string, fileHash: string, variantKey: string, now: Date): Promise<OwnRepeat | null>;
  /** Writes a repeat entry for an upload created without one (before the entries existed). */
  rememberRepeat(repeat: OwnRepeat): Promise<void>;
  /**
   * One more use of the owner's upload (times_used + 1, atomically), if it is still theirs, on that
   * analysis and unexpired: the upload as it is now, else null. Once per `token`: a retry of the
   * same request (a lost response, a redelivered job) right after is answered without counting again.
   */
  useOwn(owner: string, uploadId: string, analysisId: string, now: Date, token: string): Promise<Upload | null>;
  /** Newest first: a signed-in user's uploads, or the uploads made anonymously with a fingerprint. */
  listRecent(owner: { userId: string } | { fingerprint: string }, limit: number): Promise<Upload[]>;
  /** Admin: uploads answered by an analysis (erased ones included, deleted ones not). */
  listByAnalysis(analysisId: string, limit: number): Promise<Upload[]>;
  /** Unerased uploads whose expiry is at or before `now`, a page at a time. */
  listExpired(now: Date, limit: number, cursor?: string): Promise<{ uploads: Upload[]; cursor?: string }>;
  /** Admin: one page of a month's uploads, newest first, filtered; pass `nextKey` back for the next page. */
  pageByMonth(month: string, options: MonthPageOptions): Promise<{ uploads: Upload[]; nextKey?: string }>;
  /**
   * Its image has expired: removes the personal fields (owner, user, username, fingerprint, IP,
   * context) and the owner-index and repeat entries, leaving a tombstone (erasedAt) that the table's TTL removes later.
   */
  erase(upload: Upload, now: Date): Promise<void>;
  /** Removes the upload and its owner-index and repeat entries; deleting a missing one is not an error. */
  delete(upload: Upload): Promise<void>;
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

/**
 * Whether an upload passes the admin's filter: the one definition, for the table's adapter, the
 * admin's lookups and the memory double alike.
 */
export function matchesAdminFilter(upload: Upload, filter: AdminFilter, now: Date): boolean {
  if (filter.model && upload.provider !== filter.model && !upload.aiVisionModel.startsWith(filter.model)) return false;
  if (filter.storageType && upload.storageType !== filter.storageType) return false;
  if (filter.expired !== undefined && isExpired(upload, now) !== filter.expired) return false;
  if (filter.signedIn !== undefined && (upload.userId !== null) !== filter.signedIn) return false;
  if (filter.flagged !== undefined && upload.flagged !== filter.flagged) return false;
  return true;
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

/** Who is analysing a photo right now, or which analysis answered it. */
export interface ClaimState {
  owner: string;
  /** Epoch ms: until then the claim holds (in flight: a short lease; done: the analysis's expiry). */
  leaseUntil: number;
  /** The analysis that answered (the item's attribute keeps its first name, recordId). */
  recordId?: string;
  /** Why the holder's billed analysis failed: until `leaseUntil` the photo is answered with it, not analysed again. */
  failure?: string;
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
  /** Records the result; the claim then points waiters at the analysis `recordId` until `keepUntil`. Repeating it is harmless. */
  complete(fileHash: string, owner: string, recordId: string, keepUntil: number): Promise<void>;
  /** Gives the claim up after a failure, so a waiter can try. */
  release(fileHash: string, owner: string): Promise<void>;
  /** Keeps the claim after a billed failure, saying why, until `until` (the negative cache): no one analyses the photo meanwhile. */
  recordFailure(fileHash: string, owner: string, failure: string, until: number): Promise<void>;
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
  /** Copies an object inside the store (no bytes through this process); false when the source is gone. */
  copy(from: string, to: string): Promise<boolean>;
  /** Keys under `prefix`, a page at a time, with when each was last written. */
  list(prefix: string, options: { limit: number; cursor?: string }): Promise<{ objects: { key: string; lastModified: Date }[]; cursor?: string }>;
}

/** Where large photos go first: a presigned browser upload straight to S3, then analysed from there. */
export interface StagingStore {
  /** A form (URL + fields) the client POSTs the file to; the policy caps size and content type. */
  createTarget(
    key: string,
    options: { maxBytes: number; contentType: string; expiresInSeconds: number },
  ): Promise<{ url: string; fields: Record<string, string> }>;
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
   * further (or final), or taken over by another delivery than `attempt` (when given), is left alone
   * and null returned, so stages never go back, a final answer is never replaced, and an abandoned
   * delivery cannot answer for the one that replaced it.
   */
  advance(
    id: string,
    stage: JobStage,
    outcome?: { cached?: boolean; uploadId?: string; error?: JobFailure },
    now?: Date,
    attempt?: string,
  ): Promise<Job | null>;
  /**
   * A delivery takes the job over (`attempt`, unique per delivery); from then on `advance` with
   * another attempt leaves the job alone (null). Null, and nothing written, for a missing or final job.
   */
  begin(id: string, attempt: string): Promise<Job | null>;
  /** Removes jobs (and a batch) that were never queued. */
  remove(jobIds: string[], batchId?: string): Promise<void>;
}

/** Hands jobs to the worker: SQS in AWS, an in-process queue with the same semantics locally. */
export interface JobQueue {
  /** `group`: whose jobs these are (an opaque id); the queue serves groups fairly, so one caller's backlog does not hold back another's first job. */
  enqueue(jobIds: string[], group?: string): Promise<void>;
}

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

/** Who listens for progress: WebSocket connections and their subscriptions (items with a TTL). */
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
