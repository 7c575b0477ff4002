/**
 * `npm run openapi`: writes the JSON Schemas generated from the zod schemas in shared/api/schemas.ts:
 * openapi.json (the OpenAPI 3.1 document) and shared/vision/reply-schema.json (what every cloud model
 * must return, as structured output). Both are committed, so the functions never build them (nor load
 * full zod) at start; test/integration/openapi-health.test.ts fails when either is stale.
 */
import { writeFile } from "node:fs/promises";
import { jsonSchemaOf, providerReplySchema } from "../shared/api/schemas.js";
import { openApiDocument } from "../shared/api/openapi.js";

const generated = { "openapi.json": openApiDocument(), "shared/vision/reply-schema.json": jsonSchemaOf(providerReplySchema) };
for (const [file, document] of Object.entries(generated)) {
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
