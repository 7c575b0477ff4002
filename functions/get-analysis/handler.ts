import { presentAnalysis } from "../../shared/domain/present.js";
import { getAnalysis } from "../../shared/usecases/queries.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { httpRoute } from "../pipeline.js";
import { json, publicBaseUrl, type HttpEvent } from "../http.js";

/** GET /api/photo-analysis/{id}/ */
export function createGetAnalysisHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event: HttpEvent) => {
    const deps = getDeps();
    const record = await getAnalysis(deps, event.pathParameters?.id ?? "");
    return json(200, presentAnalysis(record, publicBaseUrl(event, deps), deps.now()));
  });
}

export const handler = createGetAnalysisHandler();
