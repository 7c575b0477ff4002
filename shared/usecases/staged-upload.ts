import { isUuid } from "../domain/ids.js";
import { NotFoundError, InvalidInputError } from "../domain/errors.js";
import { ownerKey, type Caller } from "../domain/types.js";
import { type AppDeps, requireDep } from "./deps.js";
import type { Style } from "../domain/styles.js";
import { analyzeUpload, tooLargeMessage, type UploadOutcome } from "./upload.js";

const NOT_UPLOADED = "No file has been uploaded for this upload_id yet.";

/**
 * POST /api/photo-analysis/upload/ with `{"upload_id": ...}`: analyses the staged object exactly like
 * a direct upload. Unknown and other callers' ids are 404 (indistinguishable, so ids cannot be
 * probed); an expired id or a missing or oversized object is a 400. The real size is checked
 * here, not trusted to the POST policy.
 */
export async function analyzeStagedUpload(
  deps: AppDeps,
  input: { uploadId: string; caller: Caller; style?: Style; context?: string; language?: string; deadline?: Date },
): Promise<UploadOutcome> {
  const settings = await deps.settings();
  if (!isUuid(input.uploadId)) throw new NotFoundError();
  const intent = await deps.intents.get(input.uploadId.toLowerCase());
  if (!intent || intent.owner !== ownerKey(input.caller)) throw new NotFoundError();
  const staging = requireDep(deps, "staging");
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
  const { uploadId: _, ...request } = input;
  const outcome = await analyzeUpload(deps, { ...request, bytes });
  // The stored copy is the normalised one; the staged original is not kept.
  await staging.delete(intent.key).catch((error) => console.error("staging cleanup failed", error));
  await deps.intents.delete(intent.id);
  return outcome;
}
