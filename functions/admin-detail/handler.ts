import { presentAdminDetail } from "../../shared/domain/present.js";
import { getAnalysis } from "../../shared/usecases/queries.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { httpHandler, publicBaseUrl, type HttpEvent } from "../http.js";
import { adminJson, requireAdmin, withNoStore } from "../admin/auth.js";

/** GET /api/admin/analyses/{id}/ — everything about one analysis, raw provider reply included. */
export function createAdminDetailHandler(getDeps: DepsProvider = defaultDeps) {
  const handle = httpHandler(async (event: HttpEvent) => {
    const deps = getDeps();
    await requireAdmin(event, deps);
    const record = await getAnalysis(deps, event.pathParameters?.id ?? "");
    return adminJson(200, presentAdminDetail(record, publicBaseUrl(event), deps.now()));
  });
  return async (event: HttpEvent) => withNoStore(await handle(event));
}

export const handler = createAdminDetailHandler();
