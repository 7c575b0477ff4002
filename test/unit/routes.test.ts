import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allowedMethods, apiGatewayPath, CLEANUP_FUNCTION, findRoute, HTTP_ROUTES } from "../../functions/routes.js";

describe("route table", () => {
  it("has the seed's four endpoints, the presigned-upload one, health, the API document and the read-only admin", () => {
    expect(HTTP_ROUTES.map((route) => `${route.method} ${route.path}`)).toEqual([
      "POST /api/photo-analysis/upload/",
      "POST /api/photo-analysis/upload-url/",
      "GET /api/photo-analysis/health/",
      "GET /api/photo-analysis/openapi.json",
      "GET /api/photo-analysis/recent/",
      "GET /api/photo-analysis/{id}/",
      "GET /api/photo-analysis/{id}/image/",
      "GET /api/admin/analyses/",
      "GET /api/admin/analyses/{id}/",
      "GET /api/admin/stats/",
      "GET /admin/",
      "GET /admin/assets/{file}",
    ]);
    // The admin is read-only: no POST, no write access.
    for (const route of HTTP_ROUTES.filter((r) => r.id.startsWith("Admin"))) {
      expect(route.method).toBe("GET");
      expect(route.access.table).not.toBe("readwrite");
      expect(route.access.bucket).toBe("none");
    }
  });

  it("matches with and without the trailing slash, literals before parameters", () => {
    expect(findRoute("GET", "/api/photo-analysis/recent/")?.route.id).toBe("Recent");
    expect(findRoute("GET", "/api/photo-analysis/recent")?.route.id).toBe("Recent");
    expect(findRoute("GET", "/api/photo-analysis/abc/")).toMatchObject({ route: { id: "GetAnalysis" }, pathParameters: { id: "abc" } });
    expect(findRoute("GET", "/api/photo-analysis/abc/image")?.route.id).toBe("Image");
    expect(findRoute("POST", "/api/photo-analysis/upload")?.route.id).toBe("Upload");
    expect(findRoute("DELETE", "/api/photo-analysis/abc/")).toBeNull();
    expect(findRoute("GET", "/api/other/")).toBeNull();
  });

  it("gives API Gateway paths without a trailing slash", () => {
    expect(apiGatewayPath("/api/photo-analysis/{id}/image/")).toBe("/api/photo-analysis/{id}/image");
  });

  it("points every route at an existing handler module whose factory is the route's own", async () => {
    for (const entry of [...HTTP_ROUTES.map((route) => route.entry), CLEANUP_FUNCTION.entry]) {
      expect(existsSync(entry), entry).toBe(true);
      const module = (await import(`../../${entry}`)) as { handler?: unknown };
      expect(typeof module.handler, entry).toBe("function");
    }
    for (const route of HTTP_ROUTES) {
      const module = (await import(`../../${route.entry}`)) as Record<string, unknown>;
      // The factory the local server calls is exported by the module the stack bundles.
      expect(Object.values(module), route.id).toContain(await route.factory());
    }
  });

  it("answers a wrong method on a known path with the methods it allows, and malformed paths match nothing", () => {
    expect(allowedMethods("/api/photo-analysis/upload/")).toEqual(["GET", "POST"]);
    expect(allowedMethods("/api/admin/stats")).toEqual(["GET"]);
    expect(allowedMethods("/api/nothing/")).toEqual([]);
    expect(findRoute("GET", "/api/photo-analysis/%E0%A4%A/")).toBeNull();
  });
});
