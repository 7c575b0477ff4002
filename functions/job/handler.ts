import { readJob } from "../../shared/usecases/jobs.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { json, publicBaseUrl, queryFingerprint, resolveCaller } from "../http.js";
import { httpRoute } from "../pipeline.js";

/** GET /api/photo-analysis/jobs/{job_id}/ — one async analysis, for its caller (`?fingerprint=` or a bearer token). */
export function createJobHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event) => {
    const deps = getDeps();
    const caller = await resolveCaller(event, deps, queryFingerprint(event));
    return json(200, await readJob(deps, event.pathParameters?.job_id ?? "", caller, publicBaseUrl(event, deps)));
  });
}

export const handler = createJobHandler();
