import { isUuid } from "../domain/ids.js";
import { ExpiredError, InvalidInputError, NotFoundError, StorageError } from "../domain/errors.js";
import { isExpired, isOwner, type Caller, type Upload, type UploadView } from "../domain/types.js";
import type { StoredImage } from "../stores/ports.js";
import type { AppDeps } from "./deps.js";

export const RECENT_DEFAULT_LIMIT = 10;
export const RECENT_MAX_LIMIT = 50;

/** An upload by its id (the capability to read it); a malformed id is simply not found (404), never a server error. */
async function findUpload(deps: AppDeps, id: string): Promise<Upload> {
  if (!isUuid(id)) throw new NotFoundError();
  const upload = await deps.uploads.get(id.toLowerCase());
  if (!upload) throw new NotFoundError();
  return upload;
}

/** An upload with the analysis that answers it (null once that has gone). */
export async function getUpload(deps: AppDeps, id: string): Promise<UploadView> {
  const upload = await findUpload(deps, id);
  return { upload, analysis: await deps.analyses.get(upload.analysisId) };
}

/** Parses the `limit` query parameter: default 10, at most 50. */
export function parseRecentLimit(raw: string | undefined): number {
  if (raw === undefined || raw === "") return RECENT_DEFAULT_LIMIT;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new InvalidInputError("limit", "A valid integer of at least 1 is required.");
  return Math.min(value, RECENT_MAX_LIMIT);
}

/**
 * The caller's own recent uploads: a signed-in user's, else those made anonymously with this
 * fingerprint (a signed-in user's uploads never appear under their browser's fingerprint).
 */
export async function listRecent(deps: AppDeps, caller: Caller, limit: number): Promise<Upload[]> {
  if (caller.userId) return deps.uploads.listRecent({ userId: caller.userId }, limit);
  if (!caller.fingerprint) throw new InvalidInputError("owner", "This field is required for anonymous users.");
  return deps.uploads.listRecent({ fingerprint: caller.fingerprint }, limit);
}

/** The image bytes of an upload: 404 unknown, 410 expired (or erased), 500 when storage fails. */
export async function getImage(deps: AppDeps, id: string): Promise<StoredImage> {
  const upload = await findUpload(deps, id);
  if (isExpired(upload, deps.now()) || upload.erasedAt) throw new ExpiredError();
  const store = deps.imageStores[upload.storageType];
  if (!store) throw new StorageError("Failed to retrieve image");
  let image: StoredImage | null;
  try {
    image = await store.get(upload.imagePath);
  } catch (error) {
    throw new StorageError("Failed to retrieve image", { cause: error });
  }
  if (!image) {
    // The upload says the image should be there: worth an operator's look (410 was answered above if expired).
    console.error(JSON.stringify({ message: "image missing for an unexpired upload", id: upload.id, storageType: upload.storageType }));
    throw new NotFoundError();
  }
  return { bytes: image.bytes, contentType: upload.contentType || image.contentType };
}

/**
 * DELETE by the upload's owner: their image first, then the upload and its owner-index entry (so a
 * failure half way leaves an upload the owner can delete again). Anyone else, and an unknown id, get
 * the same 404. The shared analysis stays for the other uploads it answers.
 */
export async function deleteUpload(deps: AppDeps, id: string, caller: Caller): Promise<void> {
  const upload = await findUpload(deps, id);
  if (!isOwner(upload, caller)) throw new NotFoundError();
  const store = deps.imageStores[upload.storageType];
  if (!store) throw new StorageError("Failed to delete image");
  try {
    await store.delete(upload.imagePath);
  } catch (error) {
    throw new StorageError("Failed to delete image", { cause: error });
  }
  await deps.uploads.delete(upload);
}
