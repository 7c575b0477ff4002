import { presentUpload } from "../../shared/domain/present.js";
import { isOwner } from "../../shared/domain/types.js";
import { getUpload } from "../../shared/usecases/queries.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { httpRoute } from "../pipeline.js";
import { json, publicBaseUrl, queryFingerprint, resolveViewer, type HttpEvent } from "../http.js";

/**
 * GET /api/photo-analysis/{id}/ — one upload, in the API's shape. Who sent it (username), what they
 * wrote (context) and their file's hashes are shown to its owner (the same signed-in user; the same
 * `?fingerprint=` for an anonymous upload; the same address for one made with neither) and to admins.
 */
export function createGetAnalysisHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event: HttpEvent) => {
    const deps = getDeps();
    const view = await getUpload(deps, event.pathParameters?.id ?? "");
    const viewer = await resolveViewer(event, deps, queryFingerprint(event));
    const audience = viewer.admin || isOwner(view.upload, viewer.caller) ? "owner" : "public";
    return json(200, presentUpload(view, publicBaseUrl(event, deps), deps.now(), audience));
  });
}

export const handler = createGetAnalysisHandler();
