import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  allowedMethods,
  apiGatewayPath,
  CLEANUP_FUNCTION,
  deployedRoutes,
  findRoute,
  HTTP_ROUTES,
  WEBSOCKET_ROUTES,
  WORKER_FUNCTION,
  websocketRouteFor,
} from "../../functions/routes.js";

describe("route table", () => {
  it("has the seed's four endpoints, the owner's delete, the presigned-upload one, the async ones, health, the API document and the read-only admin", () => {
    expect(HTTP_ROUTES.map((route) => `${route.method} ${route.path}`)).toEqual([
      "POST /api/photo-analysis/upload/",
      "POST /api/photo-analysis/batch/",
      "GET /api/photo-analysis/batch/{batch_id}/",
      "GET /api/photo-analysis/jobs/{job_id}/",
      "POST /api/photo-analysis/upload-url/",
      "GET /api/photo-analysis/health/",
      "GET /api/photo-analysis/openapi.json",
      "GET /api/photo-analysis/recent/",
      "GET /api/photo-analysis/{id}/",
      "DELETE /api/photo-analysis/{id}/",
      "GET /api/photo-analysis/{id}/image/",
      "GET /api/admin/analyses/",
      "GET /api/admin/analyses/{id}/",
      "GET /api/admin/stats/",
      "GET /admin/",
      "GET /admin/assets/{file}",
      "GET /docs/",
      "GET /docs/assets/{file}",
      "GET /",
      "GET /try/assets/{file}",
    ]);
    // The pages are static files: no data access at all.
    for (const route of HTTP_ROUTES.filter((r) => r.staticAssets)) expect(route.access, route.id).toEqual({});
    // The admin is read-only: no POST, no write access, no objects.
    for (const route of HTTP_ROUTES.filter((r) => r.id.startsWith("Admin"))) {
      expect(route.method).toBe("GET");
      const actions = Object.values(route.access.items ?? {}).flat();
      expect(
        actions.filter((action) => !["GetItem", "BatchGetItem", "Query"].includes(action)),
        route.id,
      ).toEqual([]);
      expect(route.access.objects, route.id).toBeUndefined();
    }
  });

  it("matches with and without the trailing slash, literals before parameters", () => {
    expect(findRoute("GET", "/api/photo-analysis/recent/")?.route.id).toBe("Recent");
    expect(findRoute("GET", "/api/photo-analysis/recent")?.route.id).toBe("Recent");
    expect(findRoute("GET", "/api/photo-analysis/abc/")).toMatchObject({ route: { id: "GetAnalysis" }, pathParameters: { id: "abc" } });
    expect(findRoute("GET", "/api/photo-analysis/abc/image")?.route.id).toBe("Image");
    expect(findRoute("POST", "/api/photo-analysis/upload")?.route.id).toBe("Upload");
    expect(findRoute("GET", "/api/photo-analysis/batch/abc/")).toMatchObject({ route: { id: "BatchStatus" }, pathParameters: { batch_id: "abc" } });
    expect(findRoute("GET", "/api/photo-analysis/jobs/abc")).toMatchObject({ route: { id: "Job" }, pathParameters: { job_id: "abc" } });
    expect(findRoute("POST", "/api/photo-analysis/batch/")?.route.id).toBe("Batch");
    expect(findRoute("DELETE", "/api/photo-analysis/abc/")).toMatchObject({ route: { id: "Delete" }, pathParameters: { id: "abc" } });
    expect(findRoute("DELETE", "/api/photo-analysis/abc/image/")).toBeNull();
    expect(findRoute("PUT", "/api/photo-analysis/abc/")).toBeNull();
    expect(findRoute("GET", "/api/other/")).toBeNull();
    expect(findRoute("GET", "/")?.route.id).toBe("TryPage");
    expect(findRoute("GET", "/docs")?.route.id).toBe("DocsPage");
    expect(findRoute("GET", "/docs/assets/docs.js")).toMatchObject({ route: { id: "DocsAssets" }, pathParameters: { file: "docs.js" } });
  });

  it("deploys the try page only when asked (-c tryPage=true); npm start serves every route", () => {
    expect(deployedRoutes().map((route) => route.id)).not.toContain("TryPage");
    expect(deployedRoutes().map((route) => route.id)).toContain("DocsPage");
    expect(deployedRoutes({ tryPage: true })).toEqual(HTTP_ROUTES);
    expect(HTTP_ROUTES.filter((route) => route.optional).map((route) => route.id)).toEqual(["TryPage", "TryAssets"]);
  });

  it("sends WebSocket messages to the route their action names, anything else to $default", () => {
    expect(websocketRouteFor("$connect").id).toBe("EventsConnect");
    expect(websocketRouteFor("$disconnect").id).toBe("EventsDisconnect");
    expect(websocketRouteFor("subscribe").id).toBe("EventsMessage");
    expect(websocketRouteFor("unsubscribe").id).toBe("EventsMessage");
    expect(WEBSOCKET_ROUTES.flatMap((route) => route.routeKeys).sort()).toEqual(["$connect", "$default", "$disconnect", "subscribe"]);
  });

  it("gives API Gateway paths without a trailing slash", () => {
    expect(apiGatewayPath("/api/photo-analysis/{id}/image/")).toBe("/api/photo-analysis/{id}/image");
  });

  it("points every route at an existing handler module whose factory is the route's own", async () => {
    for (const entry of [
      ...HTTP_ROUTES.map((route) => route.entry),
      CLEANUP_FUNCTION.entry,
      WORKER_FUNCTION.entry,
      ...WEBSOCKET_ROUTES.map((route) => route.entry),
    ]) {
      expect(existsSync(entry), entry).toBe(true);
      const module = (await import(`../../${entry}`)) as { handler?: unknown };
      expect(typeof module.handler, entry).toBe("function");
    }
    for (const route of [...HTTP_ROUTES, ...WEBSOCKET_ROUTES]) {
      const module = (await import(`../../${route.entry}`)) as Record<string, unknown>;
      // The factory the local server calls is exported by the module the stack bundles.
      expect(Object.values(module), route.id).toContain(await route.factory());
    }
  });

  it("answers a wrong method on a known path with the methods it allows, and malformed paths match nothing", () => {
    // A literal path is never read as an id: GET /upload/ is a wrong method (405), not an unknown analysis (404).
    expect(allowedMethods("/api/photo-analysis/upload/")).toEqual(["POST"]);
    expect(findRoute("GET", "/api/photo-analysis/upload/")).toBeNull();
    expect(allowedMethods("/api/photo-analysis/batch")).toEqual(["POST"]);
    expect(allowedMethods("/api/photo-analysis/0b8e/")).toEqual(["DELETE", "GET"]);
    expect(allowedMethods("/api/photo-analysis/abc/image/")).toEqual(["GET"]);
    expect(allowedMethods("/api/admin/stats")).toEqual(["GET"]);
    expect(allowedMethods("/api/nothing/")).toEqual([]);
    expect(findRoute("GET", "/api/photo-analysis/%E0%A4%A/")).toBeNull();
  });
});
