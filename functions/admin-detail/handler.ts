import { presentAdminDetail } from "../../shared/domain/present.js";
import { getAnalysis } from "../../shared/usecases/queries.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { json, publicBaseUrl, type HttpEvent } from "../http.js";
import { adminHandler } from "../admin/auth.js";

/** GET /api/admin/analyses/{id}/ — everything about one analysis, raw provider reply included. */
export function createAdminDetailHandler(getDeps: DepsProvider = defaultDeps) {
  return adminHandler(getDeps, async (event: HttpEvent) => {
    const deps = getDeps();
    const record = await getAnalysis(deps, event.pathParameters?.id ?? "");
    return json(200, presentAdminDetail(record, publicBaseUrl(event), deps.now()));
  });
}

export const handler = createAdminDetailHandler();
