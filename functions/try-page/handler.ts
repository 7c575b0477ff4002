import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { NotFoundError } from "../../shared/domain/errors.js";
import type { HttpEvent, HttpResult } from "../http.js";
import { httpRoute } from "../pipeline.js";
import { ASSET_TYPES, contentSecurityPolicy, staticFiles, staticResponse } from "../static-page.js";

/**
 * GET / and /try/assets/{file}: a page to try the service in a browser. Static files only: the
 * script (built from web/try.ts with the client, by bin/build-web.ts) calls the public API and
 * follows progress on the events WebSocket, whose origin the Content-Security-Policy names when it
 * is not this one (the WebSocket API in AWS).
 */
const load = staticFiles(join(dirname(fileURLToPath(import.meta.url)), "static"), {
  "index.html": { type: ASSET_TYPES.html },
  "try.js": { type: ASSET_TYPES.js },
  "try.css": { type: ASSET_TYPES.css },
});

export function createTryPageHandler(getDeps: DepsProvider = defaultDeps) {
  let policy: string | undefined;
  return httpRoute(async (event: HttpEvent): Promise<HttpResult> => {
    if (policy === undefined) {
      const eventsUrl = getDeps().eventsUrl;
      policy = contentSecurityPolicy(eventsUrl ? [new URL(eventsUrl).origin] : []);
    }
    const file = event.pathParameters?.file;
    const asset = file === undefined ? await load("index.html") : file === "index.html" ? undefined : await load(file);
    if (!asset) throw new NotFoundError();
    return staticResponse(asset.bytes, asset.type, policy);
  });
}

export const handler = createTryPageHandler();
