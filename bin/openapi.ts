/**
 * `npm run openapi`: writes openapi.json (the OpenAPI 3.1 document, generated from the zod schemas in
 * shared/api/schemas.ts). The file is committed; test/unit/openapi.test.ts fails when it is stale.
 */
import { writeFile } from "node:fs/promises";
import { openApiDocument } from "../shared/api/openapi.js";

export const OPENAPI_FILE = "openapi.json";
await writeFile(OPENAPI_FILE, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
console.log(`wrote ${OPENAPI_FILE}`);
