import { parseSettings, type Settings } from "../../shared/config/settings.js";
import { decodeCursor, encodeCursor, isRecordLike } from "../../shared/domain/cursor.js";
import { extendedExpiry, isExpired, type Analysis, type StoredImageRef, type Upload } from "../../shared/domain/types.js";
import { hammingDistance, isInformativeHash } from "../../shared/image/hash.js";
import { MAX_INDEXED_DISTANCE } from "../../shared/image/phash-index.js";
import { SlidingWindowRateLimiter, type CounterStore } from "../../shared/ratelimit/rate-limiter.js";
import { daysBetween, type DailyStats, type ModelStats, type StatsEvent, type StatsStore } from "../../shared/stats/stats.js";
import { slugify } from "../../shared/domain/suggestions.js";
import type {
  ClaimState,
  ConnectionGateway,
  ConnectionStore,
  OpenConnection,
  ImageStore,
  JobQueue,
  JobStore,
  MonthPageOptions,
  AnalysisStore,
  OwnRepeat,
  StagingStore,
  StoredImage,
  UploadClaims,
  UploadIntent,
  UploadIntents,
  UploadStore,
} from "../../shared/stores/ports.js";
import { matchesAdminFilter, PERSONAL_ATTRIBUTES, variantKeyOf } from "../../shared/stores/ports.js";
import { stageRank, type Batch, type Job, type JobFailure, type JobStage } from "../../shared/domain/jobs.js";
import type { BlockedPhotos, ModerationScores, ModerationVerdict, Moderator } from "../../shared/moderation/moderation.js";
import type { AppDeps } from "../../shared/usecases/deps.js";
import { AnalysisFailedError } from "../../shared/domain/errors.js";
import type { VisionInput, VisionProvider, VisionResult } from "../../shared/vision/provider.js";
import { COFFEE_SUGGESTIONS } from "../helpers/fake-providers.js";
import { socketLimitsOn } from "../../shared/usecases/socket-limits.js";
import { ConcurrencyLimiter } from "../../shared/ratelimit/concurrency.js";
import { PENDING_JOB_LIFETIME_SECONDS } from "../../shared/usecases/meter.js";
import { normalizeSuggestions } from "../../shared/domain/suggestions.js";

/**
 * In-memory implementations of every port, for fast use-case tests without servers. Each keeps
 * the semantics its production adapter promises (test/contract runs the same suite against both),
 * and a `fail` hook lets a test make the next call of a method throw.
 */

type Failures = Map<string, unknown[]>;

/** Queue an error for the next call of `method` (then it behaves normally again). */
function failNext(failures: Failures, method: string, error: unknown) {
  failures.set(method, [...(failures.get(method) ?? []), error]);
}

function takeFailure(failures: Failures, method: string) {
  const queue = failures.get(method);
  if (queue?.length) throw queue.shift();
}

const clone = <T>(value: T): T => structuredClone(value);
const unexpired = (item: { expiresAt: string | null }, now: Date) => !isExpired(item, now);

export class MemoryAnalysisStore implements AnalysisStore {
  readonly analyses = new Map<string, Analysis>();
  /** pHash index entries by analysis id (written before the analysis, as the DynamoDB adapter does). */
  readonly index = new Map<string, string>();
  private readonly failures: Failures = new Map();
  fail(method: keyof AnalysisStore, error: unknown) {
    failNext(this.failures, method, error);
  }

  async create(analysis: Analysis) {
    takeFailure(this.failures, "create");
    if (isInformativeHash(analysis.imagePhash)) this.index.set(analysis.id, analysis.imagePhash);
    const existing = this.analyses.get(analysis.id);
    if (existing && existing.createdAt !== analysis.createdAt) throw conditionFailed();
    this.analyses.set(analysis.id, clone(analysis));
  }
  async abandon(analysis: Analysis) {
    takeFailure(this.failures, "abandon");
    this.index.delete(analysis.id);
  }
  async get(id: string) {
    takeFailure(this.failures, "get");
    const analysis = this.analyses.get(id);
    return analysis ? clone(analysis) : null;
  }
  async findByFileHash(fileHash: string, now: Date, accept: (analysis: Analysis) => boolean = () => true) {
    takeFailure(this.failures, "findByFileHash");
    const matches = [...this.analyses.values()]
      .filter((a) => a.fileHash === fileHash && unexpired(a, now) && accept(a))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return matches[0] ? clone(matches[0]) : null;
  }
  async findSimilar(imagePhash: string, maxDistance: number, now: Date) {
    takeFailure(this.failures, "findSimilar");
    if (maxDistance > MAX_INDEXED_DISTANCE) throw new Error(`the pHash index finds distances up to ${MAX_INDEXED_DISTANCE}`);
    const ranked = [...this.index.entries()]
      .map(([id, hash]) => ({ id, distance: hammingDistance(imagePhash, hash) }))
      .filter((candidate) => candidate.distance <= maxDistance)
      .sort((a, b) => a.distance - b.distance);
    for (const candidate of ranked) {
      const analysis = this.analyses.get(candidate.id);
      if (analysis && unexpired(analysis, now)) return { analysis: clone(analysis), distance: candidate.distance };
    }
    return null;
  }
  async extend(analysis: Analysis, expiresAt: string | null, now: Date, image?: StoredImageRef) {
    takeFailure(this.failures, "extend");
    const stored = this.analyses.get(analysis.id);
    if (!stored) return false;
    stored.expiresAt = extendedExpiry(stored.expiresAt, expiresAt);
    if (image) stored.image = clone(image);
    stored.updatedAt = now.toISOString();
    return true;
  }
  async listExpired(now: Date, limit: number, cursor?: string) {
    const page = offsetPage(
      [...this.analyses.values()].filter((a) => !unexpired(a, now)).sort((a, b) => a.id.localeCompare(b.id)),
      limit,
      cursor,
    );
    return { analyses: page.items, cursor: page.cursor };
  }
  async findAllByFileHash(fileHash: string) {
    return [...this.analyses.values()].filter((a) => a.fileHash === fileHash).map(clone);
  }
  async findAllByPhash(imagePhash: string) {
    return [...this.analyses.values()].filter((a) => a.imagePhash === imagePhash).map(clone);
  }
  async delete(analysis: Analysis) {
    takeFailure(this.failures, "delete");
    this.analyses.delete(analysis.id);
    this.index.delete(analysis.id);
  }
}

export class MemoryUploadStore implements UploadStore {
  readonly uploads = new Map<string, Upload>();
  /**
   * Owner index: `<owner>|<analysis id>` → upload id; repeat entries by `<owner>|<md5>|<variant key>`;
   * each analysis's uploads (links); and each upload's last use token, as the DynamoDB adapter keeps them.
   */
  readonly owners = new Map<string, string>();
  readonly repeats = new Map<string, OwnRepeat>();
  readonly links = new Map<string, Set<string>>();
  private readonly lastUseTokens = new Map<string, string>();
  private readonly failures: Failures = new Map();
  fail(method: keyof UploadStore, error: unknown) {
    failNext(this.failures, method, error);
  }

  async create(upload: Upload, repeat?: OwnRepeat | null) {
    takeFailure(this.failures, "create");
    if (upload.owner) this.owners.set(`${upload.owner}|${upload.analysisId}`, upload.id);
    if (repeat) this.repeats.set(repeatId(repeat), clone(repeat));
    this.links.set(upload.analysisId, new Set([...(this.links.get(upload.analysisId) ?? []), upload.id]));
    const existing = this.uploads.get(upload.id);
    if (existing && existing.createdAt !== upload.createdAt) throw conditionFailed();
    this.uploads.set(upload.id, clone(upload));
  }
  async abandon(upload: Upload) {
    takeFailure(this.failures, "abandon");
    if (upload.owner) {
      this.owners.delete(`${upload.owner}|${upload.analysisId}`);
      this.repeats.delete(repeatIdOf(upload));
    }
    this.links.get(upload.analysisId)?.delete(upload.id);
  }
  async get(id: string) {
    takeFailure(this.failures, "get");
    const upload = this.uploads.get(id);
    return upload ? clone(upload) : null;
  }
  async reuseOwn(owner: string, analysisId: string, now: Date, token: string) {
    takeFailure(this.failures, "reuseOwn");
    const uploadId = this.owners.get(`${owner}|${analysisId}`);
    return uploadId ? this.useOwn(owner, uploadId, analysisId, now, token) : null;
  }
  async findRepeat(owner: string, fileHash: string, variantKey: string, now: Date) {
    takeFailure(this.failures, "findRepeat");
    const repeat = this.repeats.get(repeatId({ owner, fileHash, variantKey }));
    return repeat && unexpired(repeat, now) ? clone(repeat) : null;
  }
  async rememberRepeat(repeat: OwnRepeat) {
    takeFailure(this.failures, "rememberRepeat");
    // As the adapter ends up: no entry for an upload deleted, erased or not the owner's.
    const upload = this.uploads.get(repeat.uploadId);
    if (upload && !upload.erasedAt && upload.owner === repeat.owner) this.repeats.set(repeatId(repeat), clone(repeat));
  }
  async useOwn(owner: string, uploadId: string, analysisId: string, now: Date, token: string) {
    takeFailure(this.failures, "useOwn");
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.owner !== owner || upload.analysisId !== analysisId || !unexpired(upload, now)) return null;
    if (this.lastUseTokens.get(uploadId) !== token) {
      upload.timesUsed++;
      upload.updatedAt = now.toISOString();
      this.lastUseTokens.set(uploadId, token);
    }
    return clone(upload);
  }
  async listRecent(owner: { userId: string } | { fingerprint: string }, limit: number) {
    const mine = [...this.uploads.values()].filter((u) => ("userId" in owner ? u.userId === owner.userId : u.fingerprint === owner.fingerprint));
    return mine
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, limit)
      .map(clone);
  }
  async listByAnalysis(analysisId: string, limit: number) {
    const ids = [...(this.links.get(analysisId) ?? [])].slice(0, limit);
    return ids
      .map((id) => this.uploads.get(id))
      .filter((u): u is Upload => u !== undefined)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map(clone);
  }
  async listExpired(now: Date, limit: number, cursor?: string) {
    const page = offsetPage(
      [...this.uploads.values()].filter((u) => !u.erasedAt && !unexpired(u, now)).sort((a, b) => a.id.localeCompare(b.id)),
      limit,
      cursor,
    );
    return { uploads: page.items, cursor: page.cursor };
  }
  async pageByMonth(month: string, options: MonthPageOptions) {
    const offset = options.startKey ? decodeCursor(options.startKey, isOffset).offset : 0;
    const inMonth = [...this.uploads.values()]
      .filter(
        (u) =>
          u.createdAt.slice(0, 7) === month &&
          (!options.fromIso || u.createdAt >= options.fromIso) &&
          (!options.toIso || u.createdAt <= options.toIso) &&
          matchesAdminFilter(u, options.filter, options.now),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const page = inMonth.slice(offset, offset + options.limit);
    return { uploads: page.map(clone), nextKey: offset + options.limit < inMonth.length ? encodeCursor({ offset: offset + options.limit }) : undefined };
  }
  async erase(upload: Upload, now: Date) {
    takeFailure(this.failures, "erase");
    this.dropOwnerEntry(upload);
    const stored = this.uploads.get(upload.id);
    if (!stored) return;
    Object.assign(stored, Object.fromEntries(PERSONAL_ATTRIBUTES.map((name) => [name, null])), {
      erasedAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
  }
  async delete(upload: Upload) {
    takeFailure(this.failures, "delete");
    this.dropOwnerEntry(upload);
    this.uploads.delete(upload.id);
  }
  private dropOwnerEntry(upload: Upload) {
    if (!upload.owner) return;
    const key = `${upload.owner}|${upload.analysisId}`;
    if (this.owners.get(key) === upload.id) this.owners.delete(key);
    if (this.repeats.get(repeatIdOf(upload))?.uploadId === upload.id) this.repeats.delete(repeatIdOf(upload));
  }
}

const repeatId = (repeat: Pick<OwnRepeat, "owner" | "fileHash" | "variantKey">) => `${repeat.owner}|${repeat.fileHash}|${repeat.variantKey}`;
const repeatIdOf = (upload: Upload) => repeatId({ owner: upload.owner ?? "", fileHash: upload.fileHash, variantKey: variantKeyOf(upload) });

const isOffset = (v: unknown): v is { offset: number } => isRecordLike(v) && Number.isInteger(v.offset);

function offsetPage<T>(all: T[], limit: number, cursor?: string) {
  const offset = cursor ? decodeCursor(cursor, isOffset).offset : 0;
  return { items: all.slice(offset, offset + limit).map(clone), cursor: offset + limit < all.length ? encodeCursor({ offset: offset + limit }) : undefined };
}

const conditionFailed = () => Object.assign(new Error("conditional check failed"), { name: "ConditionalCheckFailedException" });

export class MemoryClaims implements UploadClaims {
  readonly claims = new Map<string, ClaimState>();
  private readonly failures: Failures = new Map();
  fail(method: keyof UploadClaims, error: unknown) {
    failNext(this.failures, method, error);
  }
  async acquire(key: string, owner: string, leaseUntil: number, now: number) {
    takeFailure(this.failures, "acquire");
    const current = this.claims.get(key);
    if (current && current.leaseUntil >= now && current.owner !== owner) return false;
    this.claims.set(key, { owner, leaseUntil });
    return true;
  }
  async read(key: string) {
    takeFailure(this.failures, "read");
    const claim = this.claims.get(key);
    return claim ? { ...claim } : null;
  }
  async complete(key: string, owner: string, recordId: string, keepUntil: number) {
    takeFailure(this.failures, "complete");
    const claim = this.claims.get(key);
    if (claim?.owner === owner) this.claims.set(key, { owner, leaseUntil: keepUntil, recordId });
  }
  async release(key: string, owner: string) {
    takeFailure(this.failures, "release");
    if (this.claims.get(key)?.owner === owner) this.claims.delete(key);
  }
  async recordFailure(key: string, owner: string, failure: string, until: number) {
    takeFailure(this.failures, "recordFailure");
    if (this.claims.get(key)?.owner === owner) this.claims.set(key, { owner, leaseUntil: until, failure });
  }
}

export class MemoryCounters implements CounterStore {
  readonly windows = new Map<string, { count: number; tokens: Set<string> }>();
  private readonly failures: Failures = new Map();
  fail(method: keyof CounterStore, error: unknown) {
    failNext(this.failures, method, error);
  }
  private window(key: string, windowStart: number) {
    const id = `${key}@${windowStart}`;
    let window = this.windows.get(id);
    if (!window) {
      window = { count: 0, tokens: new Set() };
      this.windows.set(id, window);
    }
    return window;
  }
  async read(key: string, windowStart: number) {
    takeFailure(this.failures, "read");
    return this.windows.get(`${key}@${windowStart}`)?.count ?? 0;
  }
  async readMany(counters: readonly { key: string; windowStart: number }[]) {
    takeFailure(this.failures, "readMany");
    return counters.map(({ key, windowStart }) => this.windows.get(`${key}@${windowStart}`)?.count ?? 0);
  }
  async incrementIfBelow(key: string, windowStart: number, max: number, _expires: number, token: string) {
    takeFailure(this.failures, "incrementIfBelow");
    const window = this.window(key, windowStart);
    if (window.tokens.has(token)) return window.count;
    if (window.count >= max) return null;
    window.count++;
    window.tokens.add(token);
    return window.count;
  }
  async decrement(key: string, windowStart: number, token: string) {
    takeFailure(this.failures, "decrement");
    const window = this.window(key, windowStart);
    if (!window.tokens.delete(token)) return;
    window.count--;
  }
  /** Units held across all windows of a key. */
  total(keyPrefix: string): number {
    return [...this.windows.entries()].filter(([id]) => id.startsWith(keyPrefix)).reduce((sum, [, window]) => sum + window.count, 0);
  }
}

export class MemoryImageStore implements ImageStore {
  readonly objects = new Map<string, StoredImage & { lastModified: Date }>();
  private readonly failures: Failures = new Map();
  constructor(
    readonly storageType: "s3" | "local" = "s3",
    private readonly now: () => Date = () => new Date(),
  ) {}
  fail(method: keyof ImageStore, error: unknown) {
    failNext(this.failures, method, error);
  }
  async put(key: string, bytes: Buffer, contentType: string) {
    takeFailure(this.failures, "put");
    this.objects.set(key, { bytes: Buffer.from(bytes), contentType, lastModified: this.now() });
  }
  async get(key: string) {
    takeFailure(this.failures, "get");
    const object = this.objects.get(key);
    return object ? { bytes: Buffer.from(object.bytes), contentType: object.contentType } : null;
  }
  async delete(key: string) {
    takeFailure(this.failures, "delete");
    this.objects.delete(key);
  }
  async copy(from: string, to: string) {
    takeFailure(this.failures, "copy");
    const source = this.objects.get(from);
    if (!source) return false;
    this.objects.set(to, { bytes: Buffer.from(source.bytes), contentType: source.contentType, lastModified: this.now() });
    return true;
  }
  async list(prefix: string, options: { limit: number; cursor?: string }) {
    const keys = [...this.objects.keys()]
      .filter((key) => key.startsWith(prefix) && (!options.cursor || key > options.cursor))
      .sort()
      .slice(0, options.limit);
    return {
      objects: keys.map((key) => ({ key, lastModified: this.objects.get(key)!.lastModified })),
      cursor: keys.length === options.limit ? keys.at(-1) : undefined,
    };
  }
}

export class MemoryStaging implements StagingStore {
  readonly objects = new Map<string, Buffer>();
  async createTarget(key: string) {
    return { url: `memory://staging/${key}`, fields: { key } };
  }
  async size(key: string) {
    return this.objects.get(key)?.length ?? null;
  }
  async read(key: string) {
    return this.objects.get(key) ?? null;
  }
  async put(key: string, bytes: Buffer) {
    this.objects.set(key, Buffer.from(bytes));
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
}

export class MemoryBlockedPhotos implements BlockedPhotos {
  readonly blocked = new Map<string, ModerationVerdict>();
  async isBlocked(fileHash: string) {
    return this.blocked.has(fileHash);
  }
  async remember(fileHash: string, verdict: ModerationVerdict) {
    this.blocked.set(fileHash, clone(verdict));
  }
}

/** A moderator whose scores a test sets; it counts the photos it judged. */
export class ScriptedModerator implements Moderator {
  readonly name = "scripted";
  calls = 0;
  constructor(public scores: ModerationScores = { labels: [{ label: "neutral", score: 0.99 }], explicit: 0.01, suggestive: 0.01 }) {}
  async moderateImage() {
    this.calls++;
    return clone(this.scores);
  }
}

export class MemoryJobStore implements JobStore {
  readonly jobs = new Map<string, Job>();
  readonly batches = new Map<string, Batch>();
  readonly failures: Failures = new Map();
  fail(method: keyof JobStore, error: unknown) {
    failNext(this.failures, method, error);
  }
  async create(jobs: Job[], batch?: Batch) {
    takeFailure(this.failures, "create");
    for (const job of jobs) this.jobs.set(job.id, clone(job));
    if (batch) this.batches.set(batch.id, clone(batch));
  }
  async get(id: string) {
    const job = this.jobs.get(id);
    return job ? clone(job) : null;
  }
  async getBatch(id: string) {
    const batch = this.batches.get(id);
    if (!batch) return null;
    return {
      batch: clone(batch),
      jobs: batch.jobIds
        .map((jobId) => this.jobs.get(jobId))
        .filter((job): job is Job => job !== undefined)
        .map(clone),
    };
  }
  async begin(id: string, attempt: string) {
    takeFailure(this.failures, "begin");
    const job = this.jobs.get(id);
    if (!job || stageRank(job.stage) >= stageRank("done")) return null;
    const next: Job = { ...job, attempt };
    this.jobs.set(id, next);
    return clone(next);
  }
  async advance(id: string, stage: JobStage, outcome: { cached?: boolean; uploadId?: string; error?: JobFailure } = {}, now = new Date(), attempt?: string) {
    takeFailure(this.failures, "advance");
    const job = this.jobs.get(id);
    if (!job || stageRank(job.stage) >= stageRank(stage) || (attempt && job.attempt !== attempt)) return null;
    const defined = Object.fromEntries(Object.entries(outcome).filter(([, value]) => value !== undefined));
    const next: Job = { ...job, ...clone(defined), stage, updatedAt: now.toISOString() };
    this.jobs.set(id, next);
    return clone(next);
  }
  async remove(jobIds: string[], batchId?: string) {
    if (batchId) this.batches.delete(batchId);
    for (const jobId of jobIds) this.jobs.delete(jobId);
  }
}

export class MemoryQueue implements JobQueue {
  readonly sent: string[] = [];
  readonly failures: Failures = new Map();
  fail(error: unknown) {
    failNext(this.failures, "enqueue", error);
  }
  /** Each job's group, as sent. */
  readonly groups = new Map<string, string | undefined>();
  async enqueue(jobIds: string[], group?: string) {
    takeFailure(this.failures, "enqueue");
    this.sent.push(...jobIds);
    for (const jobId of jobIds) this.groups.set(jobId, group);
  }
}

export class MemoryConnections implements ConnectionStore {
  readonly connections = new Map<string, OpenConnection>();
  readonly topics = new Map<string, Set<string>>();
  async open(connection: OpenConnection) {
    this.connections.set(connection.id, clone(connection));
  }
  async owner(connectionId: string) {
    return this.connections.get(connectionId)?.owner ?? null;
  }
  async close(connectionId: string) {
    const closed = this.connections.get(connectionId) ?? null;
    this.connections.delete(connectionId);
    return closed;
  }
  async subscribe(topic: string, connectionId: string) {
    this.topics.set(topic, new Set([...(this.topics.get(topic) ?? []), connectionId]));
  }
  async subscribers(topic: string) {
    return [...(this.topics.get(topic) ?? [])];
  }
  async unsubscribe(topic: string, connectionId: string) {
    this.topics.get(topic)?.delete(connectionId);
  }
}

/** Collects what each connection was sent; connections in `gone` answer as closed ones do. */
export class MemoryGateway implements ConnectionGateway {
  readonly sent = new Map<string, unknown[]>();
  readonly gone = new Set<string>();
  /** Connections the server ended, with the close code and reason. */
  readonly closed = new Map<string, { code: number; reason: string }>();
  async post(connectionId: string, message: unknown) {
    if (this.gone.has(connectionId)) return false;
    this.sent.set(connectionId, [...(this.sent.get(connectionId) ?? []), clone(message)]);
    return true;
  }
  async close(connectionId: string, code: number, reason: string) {
    this.closed.set(connectionId, { code, reason });
    this.gone.add(connectionId);
  }
}

export class MemoryIntents implements UploadIntents {
  readonly intents = new Map<string, UploadIntent>();
  async create(intent: UploadIntent) {
    this.intents.set(intent.id, { ...intent });
  }
  async get(id: string) {
    return this.intents.get(id) ?? null;
  }
  async delete(id: string) {
    this.intents.delete(id);
  }
}

/** Costs are kept in micro-dollars, as the table adds them exactly. */
const micros = (costs: (number | null)[]) => costs.reduce<number>((sum, cost) => sum + Math.round((cost ?? 0) * 1e6), 0);

export class MemoryStats implements StatsStore {
  readonly events: { day: string; event: StatsEvent }[] = [];
  async record(day: string, event: StatsEvent) {
    this.events.push({ day, event });
  }
  count(kind: StatsEvent["kind"]) {
    return this.events.filter((entry) => entry.event.kind === kind).length;
  }
  private analysesBetween(fromDay: string, toDay: string) {
    return this.events.flatMap(({ day, event }) => (event.kind === "analysis" && day >= fromDay && day <= toDay ? [event] : []));
  }
  async daily(fromDay: string, toDay: string): Promise<DailyStats[]> {
    return daysBetween(fromDay, toDay).map((day) => {
      const events = this.events.filter((entry) => entry.day === day).map((entry) => entry.event);
      const of = (kind: StatsEvent["kind"]) => events.filter((event) => event.kind === kind).length;
      const analyses = this.analysesBetween(day, day);
      return {
        day,
        uploads: events.length,
        analyses: of("analysis"),
        exactHits: of("exact_hit"),
        similarHits: of("similar_hit"),
        rateLimited: of("rate_limited"),
        moderated: of("moderated"),
        failures: of("failed"),
        tokens: analyses.reduce((sum, event) => sum + event.tokens, 0),
        costUsd: micros(analyses.map((event) => event.costUsd)) / 1e6,
      };
    });
  }
  async models(fromDay: string, toDay: string): Promise<ModelStats[]> {
    const totals = new Map<string, ModelStats>();
    for (const event of this.analysesBetween(fromDay, toDay)) {
      const entry = totals.get(`${event.provider}|${event.model}`) ?? { provider: event.provider, model: event.model, analyses: 0, tokens: 0, costUsd: 0 };
      entry.analyses++;
      entry.tokens += event.tokens;
      entry.costUsd += micros([event.costUsd]) / 1e6;
      totals.set(`${event.provider}|${event.model}`, entry);
    }
    return [...totals.values()].sort((a, b) => b.analyses - a.analyses);
  }
  /** Names counted by their slug, shown as last written (as the table's counters are). */
  async topNames(fromDay: string, toDay: string, limit: number) {
    const counts = new Map<string, { name: string; count: number }>();
    for (const event of this.analysesBetween(fromDay, toDay)) {
      for (const name of event.names) {
        const key = slugify(name) || name;
        counts.set(key, { name, count: (counts.get(key)?.count ?? 0) + 1 });
      }
    }
    return [...counts.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, limit);
  }
}

/**
 * A vision provider that answers from a script: each call takes the next step ("ok", or an error to
 * throw), and waits for `gate` first when one is set, so tests can hold an analysis in flight.
 */
export class ScriptedVision implements VisionProvider {
  readonly name: string;
  calls = 0;
  gate?: Promise<void>;
  constructor(
    private readonly script: ("ok" | Error)[] = [],
    name = "scripted",
  ) {
    this.name = name;
  }
  async analyze(_input: VisionInput): Promise<VisionResult> {
    this.calls++;
    await this.gate;
    const step = this.script.shift() ?? "ok";
    if (step instanceof Error) throw step;
    return {
      suggestions: normalizeSuggestions({ suggestions: COFFEE_SUGGESTIONS }),
      model: `${this.name}-model`,
      provider: this.name,
      tokenUsage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
      labels: [{ label: "espresso", score: 0.9 }],
      raw: { scripted: true },
    };
  }
}

export const providerFailure = (detail = "provider down") => new AnalysisFailedError(detail, { retryable: false });

/** A clock tests move by hand. */
export function memoryClock(start = Date.parse("2026-03-01T12:00:00.000Z")) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

/** AppDeps wired entirely to memory doubles. */
export function memoryDeps<V extends VisionProvider = ScriptedVision>(
  options: { settings?: Record<string, string>; vision?: V; clock?: ReturnType<typeof memoryClock> } = {},
) {
  const clock = options.clock ?? memoryClock();
  const settings: Settings = parseSettings({ PHOTO_ANALYSIS_USE_S3: "true", ...options.settings });
  const counters = new MemoryCounters();
  let ids = 0;
  const parts = {
    analyses: new MemoryAnalysisStore(),
    uploads: new MemoryUploadStore(),
    claims: new MemoryClaims(),
    images: new MemoryImageStore("s3", clock.now),
    staging: new MemoryStaging(),
    intents: new MemoryIntents(),
    blockedPhotos: new MemoryBlockedPhotos(),
    moderator: new ScriptedModerator(),
    jobs: new MemoryJobStore(),
    queue: new MemoryQueue(),
    connections: new MemoryConnections(),
    gateway: new MemoryGateway(),
    stats: new MemoryStats(),
    counters,
    vision: (options.vision ?? new ScriptedVision()) as V,
    clock,
  };
  const deps: AppDeps = {
    settings: async () => settings,
    analyses: parts.analyses,
    uploads: parts.uploads,
    claims: parts.claims,
    staging: parts.staging,
    intents: parts.intents,
    blockedPhotos: parts.blockedPhotos,
    moderator: async () => parts.moderator,
    jobs: parts.jobs,
    queue: parts.queue,
    connections: parts.connections,
    gateway: parts.gateway,
    imageStores: { s3: parts.images },
    visionProvider: async () => parts.vision,
    rateLimiter: new SlidingWindowRateLimiter(counters),
    socketLimits: socketLimitsOn(counters),
    pendingJobs: new ConcurrencyLimiter(counters, PENDING_JOB_LIFETIME_SECONDS),
    admin: { group: "admin" },
    hasSecret: async () => false,
    stats: parts.stats,
    now: clock.now,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`,
    // Waiting moves the clock (and yields a millisecond of real time, so other requests progress).
    sleep: async (ms: number) => {
      clock.advance(ms);
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
    },
  };
  return { deps, ...parts };
}
