import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NotFoundError } from "../../shared/domain/errors.js";
import type { HttpEvent, HttpResult } from "../http.js";
import { httpRoute } from "../pipeline.js";

/**
 * GET /admin/ and /admin/assets/{file}: the admin web page. Static files only (the data comes from
 * the admin API with the admin's token), bundled with the function, no CDN. A strict
 * Content-Security-Policy allows scripts and styles from this origin only: nothing inline.
 */
const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), "static");
const ASSETS: Record<string, string> = {
  "admin.js": "text/javascript; charset=utf-8",
  "admin.css": "text/css; charset=utf-8",
  "chart.umd.min.js": "text/javascript; charset=utf-8",
};
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const cache = new Map<string, Buffer>();

/** Chart.js ships in the bundle's static folder in Lambda; locally it is read from node_modules. */
function assetPath(file: string): string {
  const bundled = join(STATIC_DIR, file);
  if (existsSync(bundled) || file !== "chart.umd.min.js") return bundled;
  return join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js");
}

async function load(file: string): Promise<Buffer> {
  let bytes = cache.get(file);
  if (!bytes) {
    bytes = await readFile(assetPath(file));
    cache.set(file, bytes);
  }
  return bytes;
}

const securityHeaders = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** Through the one pipeline like every route: an unknown name ("__proto__" included) is the usual 404, never an invocation error. */
export function createAdminPageHandler() {
  return httpRoute(async (event: HttpEvent): Promise<HttpResult> => {
    const file = event.pathParameters?.file;
    if (file === undefined) {
      return { statusCode: 200, headers: { "content-type": "text/html; charset=utf-8", ...securityHeaders }, body: (await load("index.html")).toString("utf8") };
    }
    if (!Object.hasOwn(ASSETS, file)) throw new NotFoundError();
    return { statusCode: 200, headers: { "content-type": ASSETS[file]!, ...securityHeaders }, body: (await load(file)).toString("utf8") };
  });
}

export const handler = createAdminPageHandler();
