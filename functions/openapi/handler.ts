import { openApiDocument } from "../../shared/api/openapi.js";
import { json } from "../http.js";
import { httpRoute } from "../pipeline.js";

const document = JSON.stringify(openApiDocument());

/** GET /api/photo-analysis/openapi.json — the API's OpenAPI 3.1 document. */
export function createOpenApiHandler() {
  return httpRoute(async () => ({ ...json(200, null, { "cache-control": "public, max-age=300" }), body: document }));
}

export const handler = createOpenApiHandler();
