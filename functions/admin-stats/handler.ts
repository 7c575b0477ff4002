import { dashboardStats } from "../../shared/usecases/admin.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { json, type HttpEvent } from "../http.js";
import { adminHandler } from "../admin/auth.js";

/** GET /api/admin/stats/?days=30 — the dashboard's counters. */
export function createAdminStatsHandler(getDeps: DepsProvider = defaultDeps) {
  return adminHandler(getDeps, async (event: HttpEvent) =>
    json(200, await dashboardStats(getDeps(), Number(event.queryStringParameters?.days ?? 30))),
  );
}

export const handler = createAdminStatsHandler();
