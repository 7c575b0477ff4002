import { imageStoreForWrites, type AppDeps } from "./deps.js";
import { visionReadiness } from "../vision/readiness.js";

export interface Health {
  ready: boolean;
  checks: { table: "ok" | "failed"; images: "ok" | "failed"; vision: string };
}

const PROBE_ID = "00000000-0000-4000-8000-000000000000";

/**
 * Ready when the table and the image store answer (a read of a key that does not exist) and a
 * vision provider is configured. Says which check failed, never why in detail (no endpoints, no secrets).
 */
export async function checkHealth(deps: AppDeps): Promise<Health> {
  const settings = await deps.settings();
  const ok = (probe: Promise<unknown>) =>
    probe.then(
      () => "ok" as const,
      (error: unknown) => {
        console.error("health check failed", error);
        return "failed" as const;
      },
    );
  const [table, images, vision] = await Promise.all([
    ok(deps.uploads.get(PROBE_ID)),
    ok(Promise.resolve().then(() => imageStoreForWrites(deps, settings).get("photo_analysis/health-probe"))),
    visionReadiness(settings, deps.hasSecret).catch(() => ({ ready: false, description: "unknown" })),
  ]);
  return { ready: table === "ok" && images === "ok" && vision.ready, checks: { table, images, vision: vision.description } };
}
