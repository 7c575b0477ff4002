import { ValidationError } from "../../shared/domain/errors.js";
import { presentRecentItem } from "../../shared/domain/present.js";
import { listRecent, parseRecentLimit } from "../../shared/usecases/queries.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { httpRoute } from "../pipeline.js";
import { resolveCaller, fingerprintErrors, json, type HttpEvent } from "../http.js";

/** GET /api/photo-analysis/recent/?fingerprint=&limit= — the caller's own uploads (a signed-in user's, else those made anonymously with the fingerprint). */
export function createRecentHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event: HttpEvent) => {
    const query = event.queryStringParameters ?? {};
    const problems = fingerprintErrors(query.fingerprint);
    if (problems.length) throw new ValidationError({ fingerprint: problems });
    const limit = parseRecentLimit(query.limit);
    const deps = getDeps();
    const uploads = await listRecent(deps, await resolveCaller(event, deps, query.fingerprint?.trim() || null), limit);
    return json(200, uploads.map(presentRecentItem));
  });
}

export const handler = createRecentHandler();
