import { isUuid } from "../domain/ids.js";
import { ExpiredError, InvalidInputError, NotFoundError, StorageError } from "../domain/errors.js";
import { isExpired, type Caller, type PhotoAnalysisRecord } from "../domain/types.js";
import type { StoredImage } from "../stores/ports.js";
import type { AppDeps } from "./deps.js";

export const RECENT_DEFAULT_LIMIT = 10;
export const RECENT_MAX_LIMIT = 50;

/** A malformed id is simply not found (404), never a server error. */
export async function getAnalysis(deps: AppDeps, id: string): Promise<PhotoAnalysisRecord> {
  if (!isUuid(id)) throw new NotFoundError();
  const record = await deps.records.get(id.toLowerCase());
  if (!record) throw new NotFoundError();
  return record;
}

/** Parses the `limit` query parameter: default 10, at most 50. */
export function parseRecentLimit(raw: string | undefined): number {
  if (raw === undefined || raw === "") return RECENT_DEFAULT_LIMIT;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new InvalidInputError("limit", "A valid integer of at least 1 is required.");
  return Math.min(value, RECENT_MAX_LIMIT);
}

/** Recent analyses of the signed-in user, or else of the browser fingerprint. */
export async function listRecent(deps: AppDeps, caller: Caller, limit: number): Promise<PhotoAnalysisRecord[]> {
  if (caller.userId) return deps.records.listRecent({ userId: caller.userId }, limit);
  if (!caller.fingerprint) throw new InvalidInputError("owner", "This field is required for anonymous users.");
  return deps.records.listRecent({ fingerprint: caller.fingerprint }, limit);
}

/** The image bytes of an analysis: 404 unknown, 410 expired, 500 when storage fails. */
export async function getImage(deps: AppDeps, id: string): Promise<StoredImage> {
  const record = await getAnalysis(deps, id);
  if (isExpired(record, deps.now())) throw new ExpiredError();
  const store = deps.imageStores[record.storageType];
  if (!store) throw new StorageError("Failed to retrieve image");
  let image: StoredImage | null;
  try {
    image = await store.get(record.imagePath);
  } catch (error) {
    throw new StorageError("Failed to retrieve image", { cause: error });
  }
  if (!image) {
    // The record says the image should be there: worth an operator's look (410 was answered above if expired).
    console.error(JSON.stringify({ message: "image missing for an unexpired analysis", id: record.id, storageType: record.storageType }));
    throw new NotFoundError();
  }
  return { bytes: image.bytes, contentType: record.contentType || image.contentType };
}
