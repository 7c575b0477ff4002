import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NotFoundError } from "../../shared/domain/errors.js";
import type { HttpEvent, HttpResult } from "../http.js";
import { httpRoute } from "../pipeline.js";
import { ASSET_TYPES, contentSecurityPolicy, staticFiles, staticResponse } from "../static-page.js";

/**
 * GET /docs/ and /docs/assets/{file}: interactive API docs for the served OpenAPI document, drawn by
 * Swagger UI (swagger-ui-dist from npm, served from here: no CDN). Swagger UI renders under the same
 * strict Content-Security-Policy as the admin (nothing inline) and "Try it out" calls this origin only.
 */
const CONTENT_SECURITY_POLICY = contentSecurityPolicy();
const load = staticFiles(join(dirname(fileURLToPath(import.meta.url)), "static"), {
  "index.html": { type: ASSET_TYPES.html },
  "docs.js": { type: ASSET_TYPES.js },
  "docs.css": { type: ASSET_TYPES.css },
  "swagger-ui-bundle.js": { type: ASSET_TYPES.js, fromPackage: "swagger-ui-dist" },
  "swagger-ui.css": { type: ASSET_TYPES.css, fromPackage: "swagger-ui-dist" },
});

export function createDocsPageHandler() {
  return httpRoute(async (event: HttpEvent): Promise<HttpResult> => {
    const file = event.pathParameters?.file;
    const asset = file === undefined ? await load("index.html") : file === "index.html" ? undefined : await load(file);
    if (!asset) throw new NotFoundError();
    // Swagger UI (1.7 MB) changes only with the package: browsers may keep it for a day.
    return staticResponse(asset.bytes, asset.type, CONTENT_SECURITY_POLICY, file?.startsWith("swagger-ui") ? "public, max-age=86400" : "no-store");
  });
}

export const handler = createDocsPageHandler();
