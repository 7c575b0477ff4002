import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { HttpResult } from "./http.js";

/**
 * The web pages' static files (admin, try page, API docs): served from the page's own `static`
 * folder, which in Lambda also holds the npm packages' files the stack copies in; locally those are
 * read from node_modules. No CDN. Every page sends a strict Content-Security-Policy: scripts and
 * styles from this origin only, nothing inline.
 */
export function contentSecurityPolicy(connectSources: string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src ${["'self'", ...connectSources].join(" ")}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export interface StaticAsset {
  type: string;
  /** A file of an npm package (copied into the bundle's static folder by the stack; read from node_modules locally). */
  fromPackage?: string;
}

const TYPES = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", svg: "image/svg+xml" } as const;
export const ASSET_TYPES = TYPES;

/** Reads a page's files once each (from `folder`, else from their package); undefined for a file the page does not serve. */
export function staticFiles(folder: string, assets: Record<string, StaticAsset>) {
  const cache = new Map<string, Buffer>();
  const pathOf = (file: string, asset: StaticAsset) => {
    const bundled = join(folder, file);
    if (existsSync(bundled) || !asset.fromPackage) return bundled;
    return join(dirname(createRequire(import.meta.url).resolve(asset.fromPackage)), file);
  };
  return async (file: string): Promise<{ bytes: Buffer; type: string } | undefined> => {
    const asset = Object.hasOwn(assets, file) ? assets[file] : undefined;
    if (!asset) return undefined;
    let bytes = cache.get(file);
    if (!bytes) {
      bytes = await readFile(pathOf(file, asset));
      cache.set(file, bytes);
    }
    return { bytes, type: asset.type };
  };
}

/** A page or asset with the pages' security headers. */
export function staticResponse(bytes: Buffer, type: string, csp: string, cacheControl = "no-store"): HttpResult {
  return {
    statusCode: 200,
    headers: {
      "content-type": type,
      "content-security-policy": csp,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": cacheControl,
    },
    body: bytes.toString("utf8"),
  };
}
