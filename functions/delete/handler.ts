import { deleteUpload } from "../../shared/usecases/queries.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { queryFingerprint, resolveCaller, type HttpEvent } from "../http.js";
import { httpRoute } from "../pipeline.js";

/**
 * DELETE /api/photo-analysis/{id}/ — the owner erases their upload: its image, the upload and its
 * owner-index entry (204). Anyone else gets the 404 of an unknown id. The owner is the same signed-in
 * user, the same `?fingerprint=` for an anonymous upload, or the same address for one made with neither.
 */
export function createDeleteHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event: HttpEvent) => {
    const deps = getDeps();
    const caller = await resolveCaller(event, deps, queryFingerprint(event));
    await deleteUpload(deps, event.pathParameters?.id ?? "", caller);
    return { statusCode: 204, headers: { "cache-control": "private, no-store" } };
  });
}

export const handler = createDeleteHandler();
