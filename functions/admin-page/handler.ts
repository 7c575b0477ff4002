import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { HttpEvent, HttpResult } from "../http.js";
import { ASSET_TYPES, contentSecurityPolicy, notFound, staticFiles, staticResponse } from "../static-page.js";

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

export function createAdminPageHandler() {
  return async (event: HttpEvent): Promise<HttpResult> => {
    const file = event.pathParameters?.file;
    const asset = file === undefined ? await load("index.html") : file === "index.html" ? undefined : await load(file);
    return asset ? staticResponse(asset.bytes, asset.type, CONTENT_SECURITY_POLICY) : notFound();
  };
}

export const handler = createAdminPageHandler();
