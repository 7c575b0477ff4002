import { readFile } from "node:fs/promises";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { components, operations } from "../../client/api-types.js";
import type { Analysis, Batch, RecentItem, UploadResponse } from "../../client/index.js";
import { openApiDocument } from "../../shared/api/openapi.js";
import { CLIENT_TYPES_FILE, clientTypes } from "../../tools/openapi-types/generate.js";

/**
 * The client's types are generated from openapi.json by openapi-typescript (with TypeScript 5, in
 * its own package: tools/openapi-types). The checked-in file is what the generator makes now, and
 * the document gives types a client can use as they are (tsc checks the assertions below, and the
 * client in client/ compiles against them with no casts on their shapes).
 */
describe("client types generated from openapi.json", () => {
  it("are exactly what the generator makes from the committed document (npm run client-types)", async () => {
    const document = JSON.parse(await readFile("openapi.json", "utf8")) as object;
    expect(await clientTypes(document)).toBe(await readFile(CLIENT_TYPES_FILE, "utf8"));
  }, 60_000);

  it("need no workarounds: file parts are Blobs, each status has its own body, query parameters are typed", () => {
    expectTypeOf<components["schemas"]["UploadForm"]["image"]>().toEqualTypeOf<Blob>();
    expectTypeOf<components["schemas"]["BatchForm"]["image"]>().toEqualTypeOf<Blob[]>();
    // 200/201 are the analysis; 202 the job: separate types, not one shared success body.
    expectTypeOf<operations["upload"]["responses"][201]["content"]["application/json"]>().toEqualTypeOf<components["schemas"]["UploadResponse"]>();
    expectTypeOf<operations["upload"]["responses"][202]["content"]["application/json"]>().toEqualTypeOf<components["schemas"]["AcceptedJob"]>();
    expectTypeOf<UploadResponse>().toEqualTypeOf<components["schemas"]["UploadResponse"]>();
    expectTypeOf<UploadResponse["analysis"]>().toEqualTypeOf<Analysis>();
    expectTypeOf<RecentItem>().toEqualTypeOf<components["schemas"]["RecentItem"]>();
    expectTypeOf<Batch["items"][number]>().toEqualTypeOf<components["schemas"]["Job"]>();
    // Every admin filter, typed as the handler reads it (limit an integer everywhere, flagged included).
    type AdminQuery = NonNullable<operations["adminList"]["parameters"]["query"]>;
    expectTypeOf<AdminQuery["limit"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<AdminQuery["flagged"]>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<AdminQuery["storage_type"]>().toEqualTypeOf<"s3" | "local" | undefined>();
    expectTypeOf<NonNullable<operations["recent"]["parameters"]["query"]>["limit"]>().toEqualTypeOf<number | undefined>();
    // The DELETE of an upload: 204 with no body, 404 with the seed's detail.
    expectTypeOf<operations["deleteUpload"]["responses"][204]["content"]>().toEqualTypeOf<undefined>();
    expectTypeOf<operations["deleteUpload"]["responses"][404]["content"]["application/json"]>().toEqualTypeOf<components["schemas"]["DetailError"]>();
    // The document those types come from (tsc holds the type assertions above; these hold the document itself).
    const document = openApiDocument() as {
      paths: Record<
        string,
        Record<
          string,
          { parameters?: { name: string; schema: { type: string } }[]; responses: Record<string, { content?: Record<string, { schema: object }> }> }
        >
      >;
    };
    const upload = document.paths["/api/photo-analysis/upload/"]!.post!;
    expect(upload.responses[201]!.content!["application/json"]!.schema).toEqual({ $ref: "#/components/schemas/UploadResponse" });
    expect(upload.responses[202]!.content!["application/json"]!.schema).toEqual({ $ref: "#/components/schemas/AcceptedJob" });
    const adminQuery = Object.fromEntries(document.paths["/api/admin/analyses/"]!.get!.parameters!.map((parameter) => [parameter.name, parameter.schema.type]));
    expect(adminQuery).toEqual({
      limit: "integer",
      cursor: "string",
      model: "string",
      storage_type: "string",
      expired: "boolean",
      signed_in: "boolean",
      flagged: "boolean",
      from: "string",
      to: "string",
      q: "string",
    });
    expect(Object.keys(document.paths["/api/photo-analysis/{id}/"]!)).toEqual(["get", "delete"]);
  });
});
