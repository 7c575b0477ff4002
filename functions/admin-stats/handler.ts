import { dashboardStats } from "../../shared/usecases/admin.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { json, type HttpEvent } from "../http.js";
import { httpRoute } from "../pipeline.js";

/** GET /api/admin/stats/?days=30 — the dashboard's counters. */
export function createAdminStatsHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event: HttpEvent) => json(200, await dashboardStats(getDeps(), Number(event.queryStringParameters?.days ?? 30))), { admin: getDeps });
}

export const handler = createAdminStatsHandler();
