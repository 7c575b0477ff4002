import document from "../../openapi.json" with { type: "json" };
import { json } from "../http.js";
import { httpRoute } from "../pipeline.js";

/**
 * The committed document (generated from the zod schemas by `npm run openapi`, kept current by a
 * test), not one built at start: the function then loads neither the schemas nor zod.
 */
const body = JSON.stringify(document);

/** GET /api/photo-analysis/openapi.json — the API's OpenAPI 3.1 document. */
export function createOpenApiHandler() {
  return httpRoute(async () => ({ ...json(200, null, { "cache-control": "public, max-age=300" }), body }));
}

export const handler = createOpenApiHandler();
