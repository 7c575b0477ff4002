/**
 * `npm run client-types`: writes client/api-types.ts, the TypeScript types of openapi.json, with
 * openapi-typescript. It lives in its own package because openapi-typescript builds its output with
 * TypeScript 5's compiler API while the project compiles with TypeScript 7: npm installs this
 * folder's dependencies (the generator and TypeScript 5) beside it, apart from the project's.
 * test/unit/client-types.test.ts regenerates the file and fails on any difference.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";
import ts from "typescript";

export const CLIENT_TYPES_FILE = "client/api-types.ts";

const HEADER = `/**
 * Generated from openapi.json by \`npm run client-types\` (openapi-typescript); do not edit.
 * test/unit/client-types.test.ts fails when it differs from what the document gives.
 */

`;

/** The types of an OpenAPI document; binary parts (format: binary) are Blobs, as browsers and Node send them. */
export async function clientTypes(document: object): Promise<string> {
  const blob = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
  const nodes = await openapiTS(document as OpenAPI3, {
    transform: (schema) => (schema.format === "binary" ? blob : undefined),
  });
  return HEADER + astToString(nodes);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const document = JSON.parse(await readFile("openapi.json", "utf8")) as object;
  await writeFile(CLIENT_TYPES_FILE, await clientTypes(document));
  console.log(`wrote ${CLIENT_TYPES_FILE}`);
}
