import { type AnalysisAnswer, isExpired, type Upload, type UploadView } from "./types.js";

/** The API's JSON shapes (openapi.json). `baseUrl` is the public origin of the API (e.g. https://api.example.com). */

export function imageUrl(baseUrl: string, id: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/api/photo-analysis/${id}/image/`;
}

/**
 * Who is looking: the upload's owner (or an admin) sees who sent it (username), what they wrote
 * (context) and the hashes of their file; anyone else holding the id sees those as null.
 */
export type Audience = "owner" | "public";

/**
 * One upload in the API's analysis shape: the upload's own id, image, times, sizes and request, with
 * the suggestions of the analysis that answers it. An upload whose analysis has gone (both expired)
 * shows what it kept: model, provider, tokens and cost, and no suggestions.
 */
export function presentUpload({ upload, analysis }: UploadView<AnalysisAnswer>, baseUrl: string, now: Date, audience: Audience) {
  const owner = audience === "owner";
  return {
    id: upload.id,
    suggestions: analysis?.suggestions ?? [],
    labels: analysis?.labels ?? [],
    ai_vision_model: analysis?.aiVisionModel ?? upload.aiVisionModel,
    provider: analysis?.provider ?? upload.provider,
    token_usage: analysis?.tokenUsage ?? upload.tokenUsage,
    estimated_cost_usd: analysis ? analysis.estimatedCostUsd : upload.estimatedCostUsd,
    style: upload.style,
    context: owner ? upload.context : null,
    language: upload.language,
    image_url: imageUrl(baseUrl, upload.id),
    image_phash: owner ? upload.imagePhash : null,
    file_hash: owner ? upload.fileHash : null,
    expires_at: upload.expiresAt,
    is_expired: isExpired(upload, now),
    file_size: upload.fileSize,
    stored_size: upload.storedSize,
    storage_type: upload.storageType,
    times_used: upload.timesUsed,
    username: owner ? upload.username : null,
    created_at: upload.createdAt,
  };
}

/** `recent/` lists only the caller's own uploads: the owner's view. */
export function presentRecentItem(upload: Upload) {
  return {
    id: upload.id,
    suggestion_count: upload.suggestionCount,
    ai_vision_model: upload.aiVisionModel,
    times_used: upload.timesUsed,
    username: upload.username,
    created_at: upload.createdAt,
  };
}

/** Admin list row: the admin list's columns (an erased upload shows what it kept). */
export function presentAdminRow(upload: Upload, baseUrl: string, now: Date) {
  return {
    flagged: upload.flagged,
    id: upload.id,
    short_id: upload.id.slice(0, 8),
    analysis_id: upload.analysisId,
    created_at: upload.createdAt,
    ai_vision_model: upload.aiVisionModel,
    provider: upload.provider,
    suggestion_count: upload.suggestionCount,
    times_used: upload.timesUsed,
    username: upload.username,
    user_id: upload.userId,
    fingerprint: upload.fingerprint,
    storage_type: upload.storageType,
    expires_at: upload.expiresAt,
    is_expired: isExpired(upload, now),
    erased_at: upload.erasedAt,
    image_url: imageUrl(baseUrl, upload.id),
  };
}

/** Admin detail: everything the admin detail view shows, raw provider reply included. */
export function presentAdminDetail(view: UploadView, baseUrl: string, now: Date) {
  const { upload, analysis } = view;
  return {
    ...presentUpload(view, baseUrl, now, "owner"),
    analysis_id: upload.analysisId,
    user_id: upload.userId,
    fingerprint: upload.fingerprint,
    ip_address: upload.ipAddress,
    content_type: upload.contentType,
    updated_at: upload.updatedAt,
    erased_at: upload.erasedAt,
    raw_response: analysis?.rawResponse ?? null,
    moderation: analysis?.moderation ?? null,
  };
}
