import { presentAdminDetail } from "../../shared/domain/present.js";
import { getAnalysis } from "../../shared/usecases/queries.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { json, publicBaseUrl, type HttpEvent } from "../http.js";
import { httpRoute } from "../pipeline.js";

/** GET /api/admin/analyses/{id}/ — everything about one analysis, raw provider reply included. */
export function createAdminDetailHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event: HttpEvent) => {
    const deps = getDeps();
    const record = await getAnalysis(deps, event.pathParameters?.id ?? "");
    return json(200, presentAdminDetail(record, publicBaseUrl(event, deps), deps.now()));
  }, { admin: getDeps });
}

export const handler = createAdminDetailHandler();
