import { checkHealth } from "../../shared/usecases/health.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { json } from "../http.js";
import { httpRoute } from "../pipeline.js";

/** GET /api/photo-analysis/health/ — 200 when ready, 503 otherwise; never cached (the pipeline's JSON headers). */
export function createHealthHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async () => {
    const health = await checkHealth(getDeps());
    return json(health.ready ? 200 : 503, { status: health.ready ? "ok" : "unavailable", checks: health.checks });
  });
}

export const handler = createHealthHandler();
