import { dashboardStats } from "../../shared/usecases/admin.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { httpHandler, type HttpEvent } from "../http.js";
import { adminJson, requireAdmin, withNoStore } from "../admin/auth.js";

/** GET /api/admin/stats/?days=30 — the dashboard's counters. */
export function createAdminStatsHandler(getDeps: DepsProvider = defaultDeps) {
  const handle = httpHandler(async (event: HttpEvent) => {
    const deps = getDeps();
    await requireAdmin(event, deps);
    return adminJson(200, await dashboardStats(deps, Number(event.queryStringParameters?.days ?? 30)));
  });
  return async (event: HttpEvent) => withNoStore(await handle(event));
}

export const handler = createAdminStatsHandler();
