import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createAdminDetailHandler } from "../../functions/admin-detail/handler.js";
import { createAdminListHandler } from "../../functions/admin-list/handler.js";
import { createAdminStatsHandler } from "../../functions/admin-stats/handler.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import type { HttpResult } from "../../functions/http.js";
import { InvalidTokenError, type TokenVerifier } from "../../shared/auth/tokens.js";
import { httpEvent, parseJson, uploadEvent } from "../helpers/events.js";
import { distinctImages } from "../helpers/photos.js";
import { seedUpload } from "../helpers/records.js";
import { createDocumentClient } from "../../shared/runtime/aws-clients.js";
import { DynamoStatsStore } from "../../shared/stats/dynamo-stats-store.js";
import { manualClock, useLocalStack } from "../helpers/stack.js";

const cat = await readFile("fixtures/photos/chelsea-cat.jpg");
const suite = useLocalStack();

/** JWT verification itself is tested in auth.test.ts; here a verifier that knows two tokens. */
const verifier: TokenVerifier = {
  verify: async (token) => {
    if (token === "jwt-admin") return { userId: "u-admin", username: "root", groups: ["admin"] };
    if (token === "jwt-user") return { userId: "u-1", username: "ada", groups: ["users"] };
    throw new InvalidTokenError("bad");
  },
};

async function setup(env: NodeJS.ProcessEnv = {}) {
  const clock = manualClock(new Date("2026-11-20T12:00:00.000Z"));
  const deps = await suite.stack.deps(
    { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: suite.fake.baseUrl, ...env },
    { now: clock.now, tokens: verifier, admin: { token: "admin-secret", group: "admin" } },
  );
  const get =
    (handler: (event: ReturnType<typeof httpEvent>) => Promise<HttpResult>) =>
    (path: string, query: Record<string, string> = {}, token = "admin-secret", pathParameters?: Record<string, string>) =>
      handler(httpEvent({ method: "GET", path, query, pathParameters, headers: token ? { authorization: `Bearer ${token}` } : {} }));
  const upload = createUploadHandler(() => deps);
  return {
    deps,
    clock,
    list: get(createAdminListHandler(() => deps) as never),
    detail: (id: string, token?: string) => get(createAdminDetailHandler(() => deps) as never)(`/api/admin/analyses/${id}/`, {}, token, { id }),
    stats: get(createAdminStatsHandler(() => deps) as never),
    upload: async (bytes: Buffer, fingerprint = "fp-admin") => (await upload(uploadEvent(bytes, { fingerprint }), {} as never)) as HttpResult,
  };
}

describe("admin access", () => {
  it("is for admins only: 401 without or with a bad token, 403 for a signed-in non-admin, no-store always", async () => {
    const { list, stats } = await setup();
    for (const [token, status] of [
      ["", 401],
      ["wrong", 401],
      ["jwt-user", 403],
      ["admin-secret", 200],
      ["jwt-admin", 200],
    ] as const) {
      const result = await list("/api/admin/analyses/", {}, token);
      expect(result.statusCode, token).toBe(status);
      expect(result.headers?.["cache-control"]).toBe("no-store");
    }
    expect((await stats("/api/admin/stats/", {}, "")).statusCode).toBe(401);
  });
});

describe("admin list", () => {
  it("refuses forged and garbage cursors with a 400 on `cursor`", async () => {
    const { list } = await setup();
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const cursor of [forged({ month: "zzzz" }), forged({ month: "2026-13" }), forged({ month: "2026-01", key: 7 }), forged([1]), "%%%", "bm90IGpzb24"]) {
      const result = await list("/api/admin/analyses/", { cursor });
      expect(result.statusCode, cursor).toBe(400);
      expect(parseJson(result), cursor).toEqual({ cursor: ["Invalid cursor: pass back the cursor of the previous page unchanged."] });
    }
  });

  it("pages newest first across months with a cursor, without repeats", async () => {
    const { deps, clock, list } = await setup();
    const created: string[] = [];
    for (let i = 0; i < 24; i++) {
      clock.set(new Date(Date.parse("2026-09-25T00:00:00Z") + i * 2 * 86_400_000));
      created.push((await seedUpload(deps, { expiresAt: null })).id);
    }
    clock.set(new Date("2026-11-20T12:00:00Z"));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = parseJson(await list("/api/admin/analyses/", { limit: "10", ...(cursor ? { cursor } : {}) }));
      seen.push(...page.results.map((row: { id: string }) => row.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual([...created].reverse());
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it("filters by storage, expiry, user, model and dates, and finds by id, MD5, pHash or fingerprint", async () => {
    const { deps, clock, list } = await setup();
    const local = await seedUpload(deps, {
      storageType: "local",
      imagePath: "photo_analysis/x.jpg",
      aiVisionModel: "local:centernet",
      provider: "local",
      fingerprint: "fp-local",
    });
    // Signed-in uploads keep no browser fingerprint.
    const signedIn = await seedUpload(deps, { userId: "u-9", username: "nine", aiVisionModel: "gpt-4o-2024-08-06", provider: "openai", fingerprint: null });
    const expired = await seedUpload(deps, {
      expiresAt: "2026-11-01T00:00:00.000Z",
      createdAt: "2026-10-25T00:00:00.000Z",
      provider: "gemini",
      aiVisionModel: "gemini-2.5-flash",
    });
    clock.advance(1000);
    const ids = async (query: Record<string, string>) => parseJson(await list("/api/admin/analyses/", query)).results.map((r: { id: string }) => r.id);
    expect(await ids({ storage_type: "local" })).toEqual([local.id]);
    expect(await ids({ signed_in: "true" })).toEqual([signedIn.id]);
    expect(await ids({ expired: "true" })).toEqual([expired.id]);
    expect(await ids({ expired: "false" })).not.toContain(expired.id);
    expect(await ids({ model: "gpt-4o" })).toEqual([signedIn.id]);
    expect(await ids({ model: "local" })).toEqual([local.id]);
    expect(await ids({ from: "2026-10-01", to: "2026-10-31" })).toEqual([expired.id]);
    expect(await ids({ q: signedIn.id })).toEqual([signedIn.id]);
    // A hash names an analysis: the uploads it answers.
    expect(await ids({ q: signedIn.analysis.fileHash })).toEqual([signedIn.id]);
    expect(await ids({ q: signedIn.analysis.imagePhash })).toEqual([signedIn.id]);
    expect(await ids({ q: "fp-local" })).toEqual([local.id]);
    expect(await ids({ q: "u-9" })).toEqual([signedIn.id]);
    const row = parseJson(await list("/api/admin/analyses/", { q: signedIn.id })).results[0];
    expect(row).toMatchObject({
      short_id: signedIn.id.slice(0, 8),
      analysis_id: signedIn.analysisId,
      suggestion_count: 10,
      username: "nine",
      storage_type: "s3",
      is_expired: false,
      erased_at: null,
    });
    expect((await list("/api/admin/analyses/", { expired: "maybe" })).statusCode).toBe(400);
    expect((await list("/api/admin/analyses/", { from: "yesterday" })).statusCode).toBe(400);
  });

  it("shows one upload in full, its analysis's raw response and its own hashes included; 404 for unknown", async () => {
    const { upload, detail } = await setup();
    const created = parseJson(await upload(cat));
    const result = parseJson(await detail(created.analysis.id));
    expect(result.raw_response.object).toBe("chat.completion");
    expect(result).toMatchObject({
      fingerprint: "fp-admin",
      ip_address: "198.51.100.7",
      file_hash: created.analysis.file_hash,
      image_phash: created.analysis.image_phash,
    });
    expect(result.suggestions).toHaveLength(10);
    expect((await detail("6f1c1f9e-1111-4222-8333-944445555666")).statusCode).toBe(404);
    expect((await detail(created.analysis.id, "jwt-user")).statusCode).toBe(403);
  });
});

describe("dashboard counters, maintained on write", () => {
  it("counts uploads, analyses, exact and similar hits, 429s, tokens, cost, models and names per day", async () => {
    const { upload, stats } = await setup({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "2" });
    const images = await distinctImages(3, 77);
    expect((await upload(cat)).statusCode).toBe(201);
    expect((await upload(cat)).statusCode).toBe(200);
    expect((await upload(images[0]!)).statusCode).toBe(201);
    expect((await upload(images[1]!)).statusCode).toBe(429);
    const body = parseJson(await stats("/api/admin/stats/", { days: "7" }));
    expect(body.daily).toHaveLength(7);
    const today = body.daily.at(-1);
    expect(today).toEqual({
      day: "2026-11-20",
      uploads: 4,
      analyses: 2,
      exactHits: 1,
      similarHits: 0,
      rateLimited: 1,
      moderated: 0,
      failures: 0,
      tokens: 1066,
      costUsd: expect.closeTo((2 * (312 * 2.5 + 221 * 10)) / 1e6, 8),
    });
    expect(body.models).toEqual([{ provider: "openai", model: "gpt-4o-2024-08-06", analyses: 2, tokens: 1066, costUsd: expect.any(Number) }]);
    expect(body.top_names[0]).toEqual({ name: "Bean Scene", count: 2 });
    expect(body.top_names).toHaveLength(10);
    expect((await stats("/api/admin/stats/", { days: "0" })).statusCode).toBe(400);
  });
});

describe("dashboard counter cost", () => {
  it("writes an upload's counters in at most two DynamoDB requests (one for a cache hit), and reads them back", async () => {
    const { deps } = await setup();
    const documents = createDocumentClient(deps.runtime);
    let requests = 0;
    const counted = new Proxy(documents, {
      get: (target, property, receiver) =>
        property === "send"
          ? (...args: unknown[]) => {
              requests++;
              return (target.send as (...a: unknown[]) => unknown).apply(target, args);
            }
          : Reflect.get(target, property, receiver),
    });
    const stats = new DynamoStatsStore(counted as typeof documents, deps.runtime.tableName);
    const names = Array.from({ length: 10 }, (_, i) => `Room Number ${i}`);
    await stats.record("2026-11-20", { kind: "analysis", provider: "openai", model: "gpt-4o-2024-08-06", tokens: 500, costUsd: 0.003, names });
    expect(requests).toBe(2);
    requests = 0;
    await stats.record("2026-11-20", { kind: "exact_hit" });
    expect(requests).toBe(1);
    expect((await stats.daily("2026-11-20", "2026-11-20"))[0]).toMatchObject({ uploads: 2, analyses: 1, exactHits: 1, tokens: 500, costUsd: 0.003 });
    expect(await stats.models("2026-11-20", "2026-11-20")).toEqual([
      { provider: "openai", model: "gpt-4o-2024-08-06", analyses: 1, tokens: 500, costUsd: 0.003 },
    ]);
    expect((await stats.topNames("2026-11-20", "2026-11-20", 3)).map((entry) => entry.count)).toEqual([1, 1, 1]);
  });
});
