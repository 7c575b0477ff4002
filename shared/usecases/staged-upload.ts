import { randomUUID } from "node:crypto";
import { isUuid } from "../domain/ids.js";
import { NotFoundError, RateLimitedError, InvalidInputError } from "../domain/errors.js";
import type { Caller } from "../domain/types.js";
import { MIME_TYPES } from "../image/format.js";
import { rateLimitRules, type RateLimitStatus } from "../ratelimit/rate-limiter.js";
import { ensureStanding } from "./quota.js";
import type { AppDeps } from "./deps.js";
import type { Style } from "../vision/instructions.js";
import { analyzeUpload, tooLargeMessage, type UploadOutcome } from "./upload.js";

const NOT_UPLOADED = "No file has been uploaded for this upload_id yet.";

/** Upload URLs a caller may request per analysis in its hourly allowance (a retry or a second try per photo). */
export const TICKETS_PER_ANALYSIS = 2;

/** Content types a client may declare for a presigned upload (the file is still sniffed afterwards). */
export const UPLOAD_CONTENT_TYPES = [...new Set([...Object.values(MIME_TYPES), "image/heif"])];

/** Who may use an upload: the signed-in user, else the fingerprint, else the address. */
export function ownerKey(caller: Caller): string {
  if (caller.userId) return `user:${caller.userId}`;
  if (caller.fingerprint) return `fp:${caller.fingerprint}`;
  return `ip:${caller.ipAddress ?? "unknown"}`;
}

export interface UploadTicket {
  url: string;
  fields: Record<string, string>;
  upload_id: string;
  max_bytes: number;
  expires_in: number;
  rateLimit?: RateLimitStatus;
}

function stagingOf(deps: AppDeps) {
  if (!deps.staging) throw new InvalidInputError("presigned uploads", "Presigned uploads need S3 storage, which is not configured on this server.");
  return deps.staging;
}

/**
 * POST /api/photo-analysis/upload-url/: a presigned S3 POST for files too big for the request body.
 * The policy enforces the size (up to PHOTO_ANALYSIS_MAX_FILE_SIZE_MB) and the content type. A caller
 * over the rate limit gets 429 here already (checked, not counted: the upload itself counts).
 */
export async function createUploadUrl(deps: AppDeps, input: { caller: Caller; contentType?: string }): Promise<UploadTicket> {
  const settings = await deps.settings();
  const contentType = (input.contentType ?? "image/jpeg").toLowerCase();
  if (!UPLOAD_CONTENT_TYPES.includes(contentType)) {
    throw new InvalidInputError("content type", `Unsupported content type "${input.contentType}". Use one of: ${UPLOAD_CONTENT_TYPES.join(", ")}.`);
  }
  const staging = stagingOf(deps);
  const id = randomUUID();
  const rateLimit = await ensureStanding(deps.rateLimiter, settings, input.caller, { now: deps.now() });
  if (settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING) {
    // Tickets are counted too (each is a staging slot for a day): twice the caller's analyses per hour.
    const [rule] = rateLimitRules(input.caller, settings);
    if (rule) {
      const ticket = await deps.rateLimiter.acquire([{ key: `ticket:${ownerKey(input.caller)}`, limit: rule.limit * TICKETS_PER_ANALYSIS }], deps.now(), id);
      if (!ticket.allowed) throw new RateLimitedError(ticket.used, ticket.limit, ticket.retryAfterSeconds);
    }
  }
  const maxBytes = Math.floor(settings.PHOTO_ANALYSIS_MAX_FILE_SIZE_MB * 1024 * 1024);
  const expiresIn = settings.PHOTO_ANALYSIS_UPLOAD_URL_EXPIRES_SECONDS;
  const key = `uploads/${id}`;
  const target = await staging.createTarget(key, { maxBytes, contentType, expiresInSeconds: expiresIn });
  await deps.intents.create({
    id,
    owner: ownerKey(input.caller),
    key,
    maxBytes,
    expiresAt: new Date(deps.now().getTime() + expiresIn * 1000).toISOString(),
  });
  return { url: target.url, fields: target.fields, upload_id: id, max_bytes: maxBytes, expires_in: expiresIn, rateLimit };
}

/**
 * POST /api/photo-analysis/upload/ with `{"upload_id": ...}`: analyses the staged object exactly like
 * a direct upload. Unknown and other callers' ids are 404 (indistinguishable, so ids cannot be
 * probed); an expired id or a missing or oversized object is a 400. The real size is checked
 * here, not trusted to the POST policy.
 */
export async function analyzeStagedUpload(deps: AppDeps, input: { uploadId: string; caller: Caller; style?: Style; deadline?: Date }): Promise<UploadOutcome> {
  const settings = await deps.settings();
  if (!isUuid(input.uploadId)) throw new NotFoundError();
  const intent = await deps.intents.get(input.uploadId.toLowerCase());
  if (!intent || intent.owner !== ownerKey(input.caller)) throw new NotFoundError();
  const staging = stagingOf(deps);
  // The URL's lifetime bounds when the file may arrive; analysing it may come a little later.
  if (Date.parse(intent.expiresAt) + 3600_000 < deps.now().getTime()) {
    await staging.delete(intent.key).catch(() => {});
    throw new InvalidInputError("upload", "This upload has expired. Request a new upload URL.");
  }
  const size = await staging.size(intent.key);
  if (size === null) throw new InvalidInputError("upload", NOT_UPLOADED);
  if (size > intent.maxBytes) {
    await staging.delete(intent.key).catch(() => {});
    throw new InvalidInputError("image", tooLargeMessage(settings.PHOTO_ANALYSIS_MAX_FILE_SIZE_MB));
  }
  const bytes = await staging.read(intent.key);
  if (!bytes) throw new InvalidInputError("upload", NOT_UPLOADED);
  const outcome = await analyzeUpload(deps, { bytes, caller: input.caller, style: input.style, deadline: input.deadline });
  // The stored copy is the normalised one; the staged original is not kept.
  await staging.delete(intent.key).catch((error) => console.error("staging cleanup failed", error));
  await deps.intents.delete(intent.id);
  return outcome;
}
