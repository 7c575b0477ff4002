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
