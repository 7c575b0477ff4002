import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { beforeEach, describe, expect, it } from "vitest";
import { createGetAnalysisHandler } from "../../functions/get-analysis/handler.js";
import { createImageHandler } from "../../functions/image/handler.js";
import { createRecentHandler } from "../../functions/recent/handler.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import type { HttpEvent, HttpResult } from "../../functions/http.js";
import type { AppDeps } from "../../shared/usecases/deps.js";
import { httpEvent, parseJson, uploadEvent } from "../helpers/events.js";
import { manualClock, useLocalStack } from "../helpers/stack.js";
import { expectNormalizedCopy } from "../helpers/images.js";
import { captureLogs } from "../helpers/console.js";

const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
const cat = await readFile("fixtures/photos/chelsea-cat.jpg");
const motorcycle = await readFile("fixtures/photos/motorcycle.png");
const labrador = await readFile("fixtures/photos/labrador.webp");

const suite = useLocalStack();

interface Api {
  deps: AppDeps;
  clock: ReturnType<typeof manualClock>;
  upload(event: HttpEvent): Promise<HttpResult>;
  get(id: string, viewer?: { claims?: Record<string, unknown>; query?: Record<string, string> }): Promise<HttpResult>;
  recent(query: Record<string, string>, claims?: Record<string, unknown>): Promise<HttpResult>;
  image(id: string): Promise<HttpResult>;
}

async function api(env: NodeJS.ProcessEnv = {}): Promise<Api> {
  const clock = manualClock();
  const deps = await suite.stack.deps(
    { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: suite.fake.baseUrl, PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0", ...env },
    { now: clock.now },
  );
  const getDeps = () => deps;
  const upload = createUploadHandler(getDeps);
  const get = createGetAnalysisHandler(getDeps);
  const recent = createRecentHandler(getDeps);
  const image = createImageHandler(getDeps);
  const pathFor = (id: string) => ({ pathParameters: { id } });
  return {
    deps,
    clock,
    upload: async (event) => (await upload(event, {} as never)) as HttpResult,
    get: (id, viewer = {}) => get(httpEvent({ method: "GET", path: `/api/photo-analysis/${id}/`, ...pathFor(id), ...viewer })),
    recent: (query, claims) => recent(httpEvent({ method: "GET", path: "/api/photo-analysis/recent/", query, claims })),
    image: (id) => image(httpEvent({ method: "GET", path: `/api/photo-analysis/${id}/image/`, ...pathFor(id) })),
  };
}

beforeEach(() => {
  suite.fake.behaviors = [{ kind: "suggestions" }];
});

describe("POST /api/photo-analysis/upload/", () => {
  it("analyses a new photo: 201 with the seed's fields and 10 suggestions", async () => {
    const { upload, clock } = await api();
    const callsBefore = suite.fake.callCount;
    const result = await upload(uploadEvent(coffee, { fingerprint: "fp-new" }));
    expect(result.statusCode).toBe(201);
    const body = parseJson(result);
    expect(body.success).toBe(true);
    expect(body.cached).toBe(false);
    const analysis = body.analysis;
    expect(analysis.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(analysis.suggestions).toHaveLength(10);
    expect(analysis.suggestions[0]).toEqual({
      name: "Coffee Lovers",
      key: "coffee-lovers",
      description: "For everyone who starts the day with a fresh cup",
    });
    expect(analysis.ai_vision_model).toBe("gpt-4o-2024-08-06");
    expect(analysis.token_usage).toEqual({ prompt_tokens: 312, completion_tokens: 221, total_tokens: 533 });
    expect(analysis.image_url).toBe(`https://api.example.test/api/photo-analysis/${analysis.id}/image/`);
    expect(analysis.image_phash).toMatch(/^[0-9a-f]{16}$/);
    expect(analysis.file_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(analysis.file_size).toBe(coffee.length);
    expect(analysis.storage_type).toBe("s3");
    expect(analysis.is_expired).toBe(false);
    expect(analysis.created_at).toBe(clock.now().toISOString());
    expect(Date.parse(analysis.expires_at) - Date.parse(analysis.created_at)).toBe(168 * 3600 * 1000);
    expect(analysis.times_used).toBe(0);
    expect(suite.fake.callCount).toBe(callsBefore + 1);
    expect(result.headers?.["ratelimit-limit"]).toBe("5");
    expect(result.headers?.["ratelimit-remaining"]).toBe("4");
  });

  it("sends the model a downscaled JPEG and asks for structured JSON", async () => {
    const { upload } = await api({ PHOTO_ANALYSIS_OPENAI_MODEL: "gpt-4o-mini" });
    suite.fake.requests.length = 0;
    const big = await sharp(coffee).resize(1600).jpeg().toBuffer();
    expect((await upload(uploadEvent(big))).statusCode).toBe(201);
    const request = suite.fake.requests[0]!;
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.headers.authorization).toBe("Bearer sk-test");
    expect(request.body.model).toBe("gpt-4o-mini");
    const responseFormat = request.body.response_format as { type: string; json_schema: { strict: boolean } };
    expect(responseFormat.type).toBe("json_schema");
    expect(responseFormat.json_schema.strict).toBe(true);
    const messages = request.body.messages as { role: string; content: unknown }[];
    expect(messages[0]!.role).toBe("system");
    const userParts = messages[1]!.content as { type: string; image_url?: { url: string; detail: string } }[];
    const imagePart = userParts.find((part) => part.type === "image_url")!;
    expect(imagePart.image_url!.detail).toBe("low");
    const sent = Buffer.from(imagePart.image_url!.url.replace(/^data:image\/jpeg;base64,/, ""), "base64");
    const sentMeta = await sharp(sent).metadata();
    expect(sentMeta.format).toBe("jpeg");
    expect(Math.max(sentMeta.width!, sentMeta.height!)).toBe(512);
  });

  it("answers the same bytes again from the cache: 200, cached, times_used grows, no provider call", async () => {
    const { upload } = await api();
    const first = parseJson(await upload(uploadEvent(cat)));
    const calls = suite.fake.callCount;
    const second = await upload(uploadEvent(cat));
    expect(second.statusCode).toBe(200);
    const body = parseJson(second);
    expect(body.cached).toBe(true);
    expect(body.analysis.id).toBe(first.analysis.id);
    expect(body.analysis.times_used).toBe(1);
    const third = parseJson(await upload(uploadEvent(cat)));
    expect(third.analysis.times_used).toBe(2);
    expect(suite.fake.callCount).toBe(calls);
    // Cache hits are not counted against the rate limit, but still report it.
    expect(second.headers?.["ratelimit-limit"]).toBe("5");
    expect(second.headers?.["ratelimit-remaining"]).toBe("4");
  });

  it("does not serve an expired analysis from the cache", async () => {
    const { upload, clock } = await api();
    const first = parseJson(await upload(uploadEvent(labrador)));
    clock.advance(169 * 3600 * 1000);
    const again = await upload(uploadEvent(labrador));
    expect(again.statusCode).toBe(201);
    expect(parseJson(again).analysis.id).not.toBe(first.analysis.id);
  });

  it("accepts PNG and WebP, recognised from the bytes whatever the filename says", async () => {
    const { upload } = await api();
    const png = await upload(uploadEvent(motorcycle, { filename: "photo.jpg", contentType: "image/jpeg" }));
    expect(png.statusCode).toBe(201);
    const gif = await sharp(cat).resize(120).gif().toBuffer();
    const gifResult = await upload(uploadEvent(gif, { filename: "x.png", contentType: "image/png" }));
    expect(gifResult.statusCode).toBe(201);
    const { upload: uploadAgain } = await api();
    expect((await uploadAgain(uploadEvent(labrador, { filename: "dog.gif" }))).statusCode).toBe(201);
  });

  it("rejects bad input with the seed's field errors", async () => {
    const { upload } = await api({ PHOTO_ANALYSIS_MAX_FILE_SIZE_MB: "0.02" });
    const missing = await upload(uploadEvent(null));
    expect(missing.statusCode).toBe(400);
    expect(parseJson(missing)).toEqual({ image: ["No file was submitted."] });

    const text = await upload(uploadEvent(Buffer.from("this is not an image, just some text in a file"), { filename: "photo.jpg" }));
    expect(text.statusCode).toBe(400);
    expect(parseJson(text).image[0]).toMatch(/Unsupported image format|valid image/);

    const truncated = await upload(uploadEvent(cat.subarray(0, 4000)));
    expect(truncated.statusCode).toBe(400);
    expect(parseJson(truncated).image).toHaveLength(1);

    const tooBig = await upload(uploadEvent(coffee));
    expect(tooBig.statusCode).toBe(400);
    expect(parseJson(tooBig)).toEqual({ image: ["Image file too large. Maximum size is 0.02MB."] });

    const blank = await upload(uploadEvent(cat, { fingerprint: "   " }));
    expect(blank.statusCode).toBe(400);
    expect(parseJson(blank)).toEqual({ fingerprint: ["This field may not be blank."] });

    const notMultipart = await upload(
      httpEvent({ method: "POST", path: "/api/photo-analysis/upload/", headers: { "content-type": "text/plain" }, body: "hello" }),
    );
    expect(notMultipart.statusCode).toBe(400);
    expect(parseJson(notMultipart)).toEqual({ image: ["No file was submitted."] });

    // JSON is the second step of the presigned flow.
    const emptyJson = await upload(
      httpEvent({ method: "POST", path: "/api/photo-analysis/upload/", headers: { "content-type": "application/json" }, body: "{}" }),
    );
    expect(parseJson(emptyJson)).toEqual({ upload_id: ["This field is required."] });
    const brokenJson = await upload(
      httpEvent({ method: "POST", path: "/api/photo-analysis/upload/", headers: { "content-type": "application/json" }, body: "{oops" }),
    );
    expect(brokenJson.statusCode).toBe(400);
    expect(parseJson(brokenJson).non_field_errors[0]).toMatch(/JSON parse error/);
  });

  it("accepts a style from the fixed list, passes it to the model, and caches per style", async () => {
    const { upload } = await api();
    suite.fake.requests.length = 0;
    const withStyle = (style: string) => {
      const event = uploadEvent(labrador, { fingerprint: "fp-style" });
      const multipart = Buffer.from(event.body!, "base64")
        .toString("latin1")
        .replace(
          /(--[^\r]+)\r\nContent-Disposition: form-data; name="fingerprint"/,
          `$1\r\nContent-Disposition: form-data; name="style"\r\n\r\n${style}\r\n$1\r\nContent-Disposition: form-data; name="fingerprint"`,
        );
      event.body = Buffer.from(multipart, "latin1").toString("base64");
      return upload(event);
    };
    const bad = await withStyle("shouty");
    expect(bad.statusCode).toBe(400);
    expect(parseJson(bad).style[0]).toMatch(/not a valid choice/);
    const professional = await withStyle("professional");
    expect(professional.statusCode).toBe(201);
    expect(parseJson(professional).analysis.style).toBe("professional");
    const userText = JSON.stringify((suite.fake.requests.at(-1)!.body.messages as unknown[])[1]);
    expect(userText).toContain("Professional");
    expect((await withStyle("professional")).statusCode).toBe(200);
    expect((await withStyle("playful")).statusCode).toBe(201);
    expect(parseJson(await upload(uploadEvent(labrador))).analysis.estimated_cost_usd).toBeGreaterThan(0);
  });

  it("answers 503 when OpenAI is chosen explicitly but has no key (no silent fallback)", async () => {
    const { upload } = await api({ OPENAI_API_KEY: "", PHOTO_ANALYSIS_VISION_PROVIDER: "openai" });
    const result = await upload(uploadEvent(motorcycle));
    expect(result.statusCode).toBe(503);
    expect(parseJson(result).detail).toMatch(/OpenAI API not configured/);
  });

  it("answers 500 in the seed's shape when the provider fails, and stores nothing", async () => {
    captureLogs(); // this path logs on purpose
    const { upload, recent } = await api();
    suite.fake.behaviors = [{ kind: "status", status: 500 }];
    const result = await upload(uploadEvent(coffee, { fingerprint: "fp-fail" }));
    expect(result.statusCode).toBe(500);
    expect(parseJson(result)).toEqual({ error: "Photo analysis failed", detail: "OpenAI API error: server error (500)" });
    expect(parseJson(await recent({ fingerprint: "fp-fail" }))).toEqual([]);
  });

  it("stores on local disk when S3 is switched off", async () => {
    const { upload, image } = await api({ PHOTO_ANALYSIS_USE_S3: "false" });
    const body = parseJson(await upload(uploadEvent(cat)));
    expect(body.analysis.storage_type).toBe("local");
    const served = await image(body.analysis.id);
    expect(served.statusCode).toBe(200);
    await expectNormalizedCopy(Buffer.from(served.body!, "base64"), cat);
  });
});

describe("GET /api/photo-analysis/{id}/", () => {
  it("returns the upload with times_used, and username and the file's hashes to its owner only", async () => {
    const { upload, get } = await api();
    const owner = { sub: "user-1", "cognito:username": "user123" };
    const created = parseJson(await upload(uploadEvent(coffee, { claims: owner })));
    const result = await get(created.analysis.id, { claims: owner });
    expect(result.statusCode).toBe(200);
    const body = parseJson(result);
    expect(body.id).toBe(created.analysis.id);
    expect(body.suggestions).toHaveLength(10);
    expect(body.times_used).toBe(0);
    expect(body).toMatchObject({ username: "user123", file_hash: created.analysis.file_hash, image_phash: created.analysis.image_phash });
    // Anyone else holding the id: the same upload, without who sent it or their file's hashes.
    for (const stranger of [{}, { claims: { sub: "user-2" } }, { query: { fingerprint: "fp-anyone" } }]) {
      const seen = parseJson(await get(created.analysis.id, stranger));
      expect(seen).toEqual({ ...body, username: null, context: null, file_hash: null, image_phash: null });
    }
  });

  it("is 404 for an unknown or malformed id, never a 500", async () => {
    const { get } = await api();
    for (const id of ["6f1c1f9e-1111-4222-8333-944445555666", "not-a-uuid", "../../etc/passwd", ""]) {
      const result = await get(id);
      expect(result.statusCode).toBe(404);
      expect(parseJson(result)).toEqual({ detail: "Not found." });
    }
  });
});

describe("GET /api/photo-analysis/recent/", () => {
  it("lists the fingerprint's analyses newest first in the seed's list shape", async () => {
    const { upload, recent, clock } = await api();
    const first = parseJson(await upload(uploadEvent(coffee, { fingerprint: "fp-recent" })));
    clock.advance(60_000);
    const second = parseJson(await upload(uploadEvent(cat, { fingerprint: "fp-recent" })));
    await upload(uploadEvent(motorcycle, { fingerprint: "someone-else" }));
    const result = await recent({ fingerprint: "fp-recent" });
    expect(result.statusCode).toBe(200);
    const list = parseJson(result);
    expect(list.map((item: { id: string }) => item.id)).toEqual([second.analysis.id, first.analysis.id]);
    expect(list[0]).toEqual({
      id: second.analysis.id,
      suggestion_count: 10,
      ai_vision_model: "gpt-4o-2024-08-06",
      times_used: 0,
      username: null,
      created_at: second.analysis.created_at,
    });
    expect(parseJson(await recent({ fingerprint: "fp-recent", limit: "1" }))).toHaveLength(1);
  });

  it("lists a signed-in user's analyses without a fingerprint", async () => {
    const { upload, recent } = await api();
    await upload(uploadEvent(labrador, { claims: { sub: "user-9", preferred_username: "nine" } }));
    const list = parseJson(await recent({}, { sub: "user-9" }));
    expect(list).toHaveLength(1);
    expect(list[0].username).toBe("nine");
  });

  it("requires a fingerprint for anonymous callers and validates limit", async () => {
    const { recent } = await api();
    const missing = await recent({});
    expect(missing.statusCode).toBe(400);
    expect(Object.keys(parseJson(missing))).toEqual(["fingerprint"]);
    const badLimit = await recent({ fingerprint: "x", limit: "abc" });
    expect(badLimit.statusCode).toBe(400);
    expect(Object.keys(parseJson(badLimit))).toEqual(["limit"]);
    expect((await recent({ fingerprint: "x", limit: "500" })).statusCode).toBe(200);
  });
});

describe("GET /api/photo-analysis/{id}/image/", () => {
  it("serves the stored, normalised image with its content type, 410 once expired, 404 when unknown", async () => {
    const { upload, image, clock } = await api();
    const created = parseJson(await upload(uploadEvent(motorcycle)));
    const served = await image(created.analysis.id);
    expect(served.statusCode).toBe(200);
    // An opaque PNG is stored as JPEG: what the proxy serves is always the normalised copy.
    expect(served.headers?.["content-type"]).toBe("image/jpeg");
    expect(served.isBase64Encoded).toBe(true);
    const bytes = Buffer.from(served.body!, "base64");
    expect(bytes.length).toBe(created.analysis.stored_size);
    expect(created.analysis.file_size).toBe(motorcycle.length);
    await expectNormalizedCopy(bytes, motorcycle);

    clock.advance(168 * 3600 * 1000 + 1);
    const expired = await image(created.analysis.id);
    expect(expired.statusCode).toBe(410);
    expect(parseJson(expired)).toEqual({ error: "Image has expired" });

    const unknown = await image("6f1c1f9e-1111-4222-8333-944445555666");
    expect(unknown.statusCode).toBe(404);
    expect(parseJson(unknown)).toEqual({ detail: "Not found." });
  });
});
