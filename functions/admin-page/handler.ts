import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NotFoundError } from "../../shared/domain/errors.js";
import type { HttpEvent, HttpResult } from "../http.js";
import { httpRoute } from "../pipeline.js";
import { ASSET_TYPES, contentSecurityPolicy, staticFiles, staticResponse } from "../static-page.js";

/**
 * GET /admin/ and /admin/assets/{file}: the admin web page. Static files only (the data comes from
 * the admin API with the admin's token), bundled with the function, no CDN. A strict
 * Content-Security-Policy allows scripts and styles from this origin only: nothing inline.
 */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();
const load = staticFiles(join(dirname(fileURLToPath(import.meta.url)), "static"), {
  "index.html": { type: ASSET_TYPES.html },
  "admin.js": { type: ASSET_TYPES.js },
  "admin.css": { type: ASSET_TYPES.css },
  "chart.umd.min.js": { type: ASSET_TYPES.js, fromPackage: "chart.js" },
});

/** Through the one pipeline like every route: an unknown name ("__proto__" included) is the usual 404, never an invocation error. */
export function createAdminPageHandler() {
  return httpRoute(async (event: HttpEvent): Promise<HttpResult> => {
    const file = event.pathParameters?.file;
    const asset = file === undefined ? await load("index.html") : file === "index.html" ? undefined : await load(file);
    if (!asset) throw new NotFoundError();
    return staticResponse(asset.bytes, asset.type, CONTENT_SECURITY_POLICY);
  });
}

export const handler = createAdminPageHandler();
