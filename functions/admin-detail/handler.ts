import { presentAdminDetail } from "../../shared/domain/present.js";
import { getUpload } from "../../shared/usecases/queries.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { json, publicBaseUrl, type HttpEvent } from "../http.js";
import { httpRoute } from "../pipeline.js";

/** GET /api/admin/analyses/{id}/ — everything about one upload and its analysis, raw provider reply included. */
export function createAdminDetailHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(
    async (event: HttpEvent) => {
      const deps = getDeps();
      const view = await getUpload(deps, event.pathParameters?.id ?? "");
      return json(200, presentAdminDetail(view, publicBaseUrl(event, deps), deps.now()));
    },
    { admin: getDeps },
  );
}

export const handler = createAdminDetailHandler();
