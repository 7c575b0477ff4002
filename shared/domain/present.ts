import { DEFAULT_LANGUAGE } from "./prompt.js";
import { isExpired, type PhotoAnalysisRecord } from "./types.js";

/** The seed's JSON shapes. `baseUrl` is the public origin of the API (e.g. https://api.example.com). */

export function imageUrl(baseUrl: string, id: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/api/photo-analysis/${id}/image/`;
}

export function presentAnalysis(record: PhotoAnalysisRecord, baseUrl: string, now: Date) {
  return {
    id: record.id,
    suggestions: record.suggestions,
    labels: record.labels,
    ai_vision_model: record.aiVisionModel,
    provider: record.provider,
    token_usage: record.tokenUsage,
    estimated_cost_usd: record.estimatedCostUsd,
    style: record.style,
    context: record.context ?? null,
    language: record.language ?? DEFAULT_LANGUAGE,
    image_url: imageUrl(baseUrl, record.id),
    image_phash: record.imagePhash,
    file_hash: record.fileHash,
    expires_at: record.expiresAt,
    is_expired: isExpired(record, now),
    file_size: record.fileSize,
    stored_size: record.storedSize,
    storage_type: record.storageType,
    times_used: record.timesUsed,
    username: record.username,
    created_at: record.createdAt,
  };
}

export function presentRecentItem(record: PhotoAnalysisRecord) {
  return {
    id: record.id,
    suggestion_count: record.suggestions.length,
    ai_vision_model: record.aiVisionModel,
    times_used: record.timesUsed,
    username: record.username,
    created_at: record.createdAt,
  };
}

/** Admin list row: the seed admin's columns. */
export function presentAdminRow(record: PhotoAnalysisRecord, baseUrl: string, now: Date) {
  return {
    flagged: record.moderation?.decision === "flag",
    id: record.id,
    short_id: record.id.slice(0, 8),
    created_at: record.createdAt,
    ai_vision_model: record.aiVisionModel,
    provider: record.provider,
    suggestion_count: record.suggestions.length,
    times_used: record.timesUsed,
    username: record.username,
    user_id: record.userId,
    fingerprint: record.fingerprint,
    storage_type: record.storageType,
    expires_at: record.expiresAt,
    is_expired: isExpired(record, now),
    image_url: imageUrl(baseUrl, record.id),
  };
}

/** Admin detail: everything the seed's detail view shows, raw provider reply included. */
export function presentAdminDetail(record: PhotoAnalysisRecord, baseUrl: string, now: Date) {
  return {
    ...presentAnalysis(record, baseUrl, now),
    user_id: record.userId,
    fingerprint: record.fingerprint,
    ip_address: record.ipAddress,
    content_type: record.contentType,
    updated_at: record.updatedAt,
    raw_response: record.rawResponse,
    moderation: record.moderation ?? null,
  };
}
