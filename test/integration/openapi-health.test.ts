import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createHealthHandler } from "../../functions/health/handler.js";
import { createOpenApiHandler } from "../../functions/openapi/handler.js";
import { HTTP_ROUTES } from "../../functions/routes.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import { openApiDocument } from "../../shared/api/openapi.js";
import { fieldErrorsSchema, healthSchema, jsonSchemaOf, providerReplySchema, uploadResponseSchema } from "../../shared/api/schemas.js";
import { SUGGESTIONS_JSON_SCHEMA } from "../../shared/vision/instructions.js";
import { httpEvent, uploadEvent } from "../helpers/events.js";
import { useLocalStack } from "../helpers/stack.js";
import { captureLogs } from "../helpers/console.js";

const suite = useLocalStack();
const coffee = await readFile("fixtures/photos/coffee-mug.jpg");

describe("OpenAPI document", () => {
  it("is valid OpenAPI 3.1 (checked by a real validator) and documents every API route", async () => {
    const document = openApiDocument();
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    const paths = Object.keys(document.paths as object);
    for (const route of HTTP_ROUTES.filter((r) => r.path.startsWith("/api/"))) expect(paths, route.path).toContain(route.path);
  });

  it("is committed as openapi.json and up to date (npm run openapi)", async () => {
    expect(JSON.parse(await readFile("openapi.json", "utf8"))).toEqual(openApiDocument());
  });

  it("is served by the API, and real answers match its schemas", async () => {
    const served = await createOpenApiHandler()(httpEvent({ method: "GET", path: "/api/photo-analysis/openapi.json" }));
    expect(served.statusCode).toBe(200);
    expect(JSON.parse(served.body!)).toEqual(openApiDocument());
    const deps = await suite.stack.deps({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: suite.fake.baseUrl });
    const upload = createUploadHandler(() => deps);
    const created = await upload(uploadEvent(coffee, { fingerprint: "fp-openapi" }));
    expect(created.statusCode).toBe(201);
    expect(uploadResponseSchema.safeParse(JSON.parse(created.body!)).error).toBeUndefined();
    const refused = await upload(uploadEvent(Buffer.from("not an image"), { fingerprint: "fp-openapi" }));
    expect(refused.statusCode).toBe(400);
    expect(fieldErrorsSchema.safeParse(JSON.parse(refused.body!)).success).toBe(true);
  });

  it("generates the providers' structured-output schema from the same zod schema, committed up to date (npm run openapi)", () => {
    expect(SUGGESTIONS_JSON_SCHEMA).toEqual(jsonSchemaOf(providerReplySchema));
    expect(SUGGESTIONS_JSON_SCHEMA).toMatchObject({
      type: "object",
      additionalProperties: false,
      required: ["suggestions"],
      properties: { suggestions: { type: "array", minItems: 10, maxItems: 10, items: { additionalProperties: false, required: ["name", "description"] } } },
    });
  });
});

describe("GET /api/photo-analysis/health/", () => {
  it("is 200 when the table and image store answer and a provider is configured, without secrets", async () => {
    const deps = await suite.stack.deps({ OPENAI_API_KEY: "sk-secret-value" });
    const result = await createHealthHandler(() => deps)(httpEvent({ method: "GET", path: "/api/photo-analysis/health/" }));
    expect(result.statusCode).toBe(200);
    const body = healthSchema.parse(JSON.parse(result.body!));
    expect(body).toEqual({ status: "ok", checks: { table: "ok", images: "ok", vision: "openai" } });
    expect(result.body).not.toContain("sk-secret");
  });

  it("is 503 naming the failed check when the provider lacks its key or the table is unreachable", async () => {
    captureLogs(); // this path logs on purpose
    const noKey = await suite.stack.deps({ PHOTO_ANALYSIS_VISION_PROVIDER: "anthropic" });
    const missing = await createHealthHandler(() => noKey)(httpEvent({ method: "GET", path: "/api/photo-analysis/health/" }));
    expect(missing.statusCode).toBe(503);
    expect(JSON.parse(missing.body!).checks).toEqual({ table: "ok", images: "ok", vision: "anthropic: not configured (set ANTHROPIC_API_KEY)" });
    const broken = await suite.stack.deps({}, {});
    const unreachable = { ...broken, uploads: { ...broken.uploads, get: async () => Promise.reject(new Error("connect ECONNREFUSED")) } };
    const down = await createHealthHandler(() => unreachable)(httpEvent({ method: "GET", path: "/api/photo-analysis/health/" }));
    expect(down.statusCode).toBe(503);
    expect(JSON.parse(down.body!)).toMatchObject({ status: "unavailable", checks: { table: "failed", vision: "local" } });
  });
});
