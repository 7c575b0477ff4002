import { readBatch } from "../../shared/usecases/jobs.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { json, publicBaseUrl, queryFingerprint, resolveCaller } from "../http.js";
import { httpRoute } from "../pipeline.js";

/** GET /api/photo-analysis/batch/{batch_id}/ — a batch and each photo's state, for its caller. */
export function createBatchStatusHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event) => {
    const deps = getDeps();
    const caller = await resolveCaller(event, deps, queryFingerprint(event));
    return json(200, await readBatch(deps, event.pathParameters?.batch_id ?? "", caller, publicBaseUrl(event, deps)));
  });
}

export const handler = createBatchStatusHandler();
