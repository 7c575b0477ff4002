import { randomUUID } from "node:crypto";
import { InvalidInputError } from "../domain/errors.js";
import { STAGING_KEY_PREFIX } from "../domain/image-keys.js";
import { ownerKey, type Caller } from "../domain/types.js";
import { MIME_TYPES } from "../image/format.js";
import type { RateLimitStatus } from "../ratelimit/rate-limiter.js";
import { type AppDeps, requireDep } from "./deps.js";
import { meterOf } from "./meter.js";

/*
 * The first step of the presigned flow. Kept apart from the upload use case so that the
 * upload-url function's bundle holds no image decoding (no sharp, which only the upload function's
 * layer ships).
 */

/** Content types a client may declare for a presigned upload (the file is still sniffed afterwards). */
export const UPLOAD_CONTENT_TYPES = [...new Set([...Object.values(MIME_TYPES), "image/heif"])];

export interface UploadTicket {
  url: string;
  fields: Record<string, string>;
  upload_id: string;
  max_bytes: number;
  expires_in: number;
  rateLimit?: RateLimitStatus;
}

/**
 * POST /api/photo-analysis/upload-url/: a presigned S3 POST for files too big for the request body.
 * The policy enforces the size (up to PHOTO_ANALYSIS_MAX_FILE_SIZE_MB) and the content type. A caller
 * over the rate limit gets 429 here already (checked, not charged: the analysis itself is), and each
 * ticket spends one of the caller's tickets, per fingerprint and per address (each is a staging slot for a day).
 */
export async function createUploadUrl(deps: AppDeps, input: { caller: Caller; contentType?: string }): Promise<UploadTicket> {
  const settings = await deps.settings();
  const contentType = (input.contentType ?? "image/jpeg").toLowerCase();
  if (!UPLOAD_CONTENT_TYPES.includes(contentType)) {
    throw new InvalidInputError("content type", `Unsupported content type "${input.contentType}". Use one of: ${UPLOAD_CONTENT_TYPES.join(", ")}.`);
  }
  const staging = requireDep(deps, "staging");
  const id = randomUUID();
  const meter = await meterOf(deps, input.caller, settings);
  const rateLimit = await meter.requireStanding();
  await meter.spend("tickets", id);
  const maxBytes = Math.floor(settings.PHOTO_ANALYSIS_MAX_FILE_SIZE_MB * 1024 * 1024);
  const expiresIn = settings.PHOTO_ANALYSIS_UPLOAD_URL_EXPIRES_SECONDS;
  const key = `${STAGING_KEY_PREFIX}${id}`;
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
