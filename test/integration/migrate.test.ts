import { readFile } from "node:fs/promises";
import { BatchWriteItemCommand, ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { createAdminDetailHandler } from "../../functions/admin-detail/handler.js";
import { createAdminListHandler } from "../../functions/admin-list/handler.js";
import { createDeleteHandler } from "../../functions/delete/handler.js";
import { createGetAnalysisHandler } from "../../functions/get-analysis/handler.js";
import type { HttpResult } from "../../functions/http.js";
import { createImageHandler } from "../../functions/image/handler.js";
import { createJobHandler } from "../../functions/job/handler.js";
import { createRecentHandler } from "../../functions/recent/handler.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import { analysisSchema } from "../../shared/api/schemas.js";
import { normalizedForStorage, openImage } from "../../shared/image/decode.js";
import { md5Hex } from "../../shared/image/hash.js";
import { createDocumentClient, createDynamoClient } from "../../shared/runtime/aws-clients.js";
import { migrateLegacyRecords } from "../../shared/stores/legacy-migration.js";
import { cleanupExpired } from "../../shared/usecases/cleanup.js";
import type { AppDeps } from "../../shared/usecases/deps.js";
import { httpEvent, parseJson, uploadEvent } from "../helpers/events.js";
import { manualClock, useLocalStack } from "../helpers/stack.js";

/**
 * `npm run migrate` on a table written by the previous release (fixtures/legacy: that release's own
 * record store, run on dynalite), then every read path of this release against it, twice migrated.
 */

const fixture = JSON.parse(await readFile("fixtures/legacy/previous-release-table.json", "utf8")) as { items: Record<string, AttributeValue>[] };
const id = (n: number) => `0b8e1c2d-0000-4000-8000-00000000000${n}`;
const PHOTOS: Record<string, string> = {
  [id(1)]: "chelsea-cat.jpg",
  [id(2)]: "coffee-mug.jpg",
  [id(3)]: "labrador.webp",
  [id(4)]: "motorcycle.png",
  [id(5)]: "astronaut.jpg",
  [id(6)]: "chelsea-cat.jpg",
};
const ADA = { sub: "user-ada", email: "ada@example.com" };
const BOB = { sub: "user-bob", preferred_username: "bob" };

const suite = useLocalStack();
let deps: AppDeps & { runtime: { tableName: string } };
const clock = manualClock(new Date("2026-05-12T12:00:00.000Z"));
const served = new Map<string, Buffer>();

async function scan(): Promise<Record<string, unknown>[]> {
  const dynamo = createDynamoClient(deps.runtime as never);
  const items = ((await dynamo.send(new ScanCommand({ TableName: deps.runtime.tableName, ConsistentRead: true }))).Items ?? []).map((item) => unmarshall(item));
  dynamo.destroy();
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

const migrate = (dryRun: boolean) => {
  const client = createDocumentClient(deps.runtime as never);
  return migrateLegacyRecords(client, deps.runtime.tableName, { dryRun, batchSize: 7 }).finally(() => client.destroy());
};

const get = (
  handler: (event: ReturnType<typeof httpEvent>) => Promise<HttpResult>,
  path: string,
  options: { id?: string; query?: Record<string, string>; claims?: Record<string, unknown>; sourceIp?: string; headers?: Record<string, string> } = {},
) =>
  handler(
    httpEvent({
      method: "GET",
      path,
      pathParameters: options.id ? { id: options.id, job_id: options.id } : undefined,
      query: options.query,
      claims: options.claims,
      sourceIp: options.sourceIp,
      headers: options.headers,
    }),
  );

beforeAll(async () => {
  deps = (await suite.stack.deps(
    { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: suite.fake.baseUrl, PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0" },
    { now: clock.now, admin: { token: "admin-secret", group: "admin" }, publicBaseUrl: "https://photos.example.com" },
  )) as typeof deps;
  const dynamo = createDynamoClient(deps.runtime as never);
  for (let i = 0; i < fixture.items.length; i += 25) {
    await dynamo.send(
      new BatchWriteItemCommand({ RequestItems: { [deps.runtime.tableName]: fixture.items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }),
    );
  }
  dynamo.destroy();
  // The images that release stored for the records: the normalised copies of the named photos.
  for (const item of fixture.items.map((raw) => unmarshall(raw)).filter((item) => item.sk === "ANALYSIS")) {
    const stored = await normalizedForStorage(await openImage(await readFile(`fixtures/photos/${PHOTOS[item.id]}`), { maxPixels: 1e8 }), 2048);
    await deps.imageStores[item.storageType as "s3" | "local"]!.put(item.imagePath, stored.bytes, stored.contentType);
    served.set(item.id, stored.bytes);
  }
});

describe("npm run migrate on a table written by the previous release", () => {
  it("reports what it would do in a dry run and writes nothing; migrates each record once, and a second run is a no-op", async () => {
    const before = await scan();
    expect(before.filter((item) => item.sk === "ANALYSIS").map((item) => item.id)).toEqual([1, 2, 3, 4, 5, 6].map(id));
    const dry = await migrate(true);
    expect(dry).toMatchObject({ dryRun: true, found: 6, migrated: 0, failures: [] });
    expect(await scan()).toEqual(before);

    const first = await migrate(false);
    expect(first).toMatchObject({ found: 6, migrated: 6, failures: [] });
    const after = await scan();
    const again = await migrate(false);
    expect(again).toMatchObject({ found: 0, migrated: 0, failures: [] });
    expect(await scan()).toEqual(after);

    // Each record is now an analysis (at the same key, nothing personal left on it) and an upload with the record's id.
    const analyses = after.filter((item) => item.sk === "ANALYSIS");
    const uploads = after.filter((item) => item.sk === "PHOTO");
    expect(analyses.map((item) => item.id)).toEqual([1, 2, 3, 4, 5, 6].map(id));
    expect(uploads.map((item) => item.id)).toEqual([1, 2, 3, 4, 5, 6].map(id));
    for (const analysis of analyses) {
      for (const personal of ["userId", "username", "fingerprint", "ipAddress", "context", "timesUsed", "createdMonth"])
        expect(analysis[personal], `${analysis.id} ${personal}`).toBeUndefined();
      expect(analysis.variantKey).toMatch(/^[0-9a-f]{32}$/);
    }
    // The signed-in user's browser fingerprint is not carried over; the anonymous ones are.
    expect(uploads.map((item) => item.fingerprint ?? null)).toEqual([null, "fp-anon", null, "fp-anon", "fp-flagged", null]);
    expect(uploads.map((item) => item.owner)).toEqual(["user:user-ada", "fp:fp-anon", "ip:198.51.100.23", "fp:fp-anon", "fp:fp-flagged", "user:user-bob"]);
    // Each upload has its owner's repeat entry (the owner's repeat is answered with one read), keyed by its MD5 and variant.
    const repeats = after.filter((item) => String(item.sk).startsWith("REPEAT#"));
    expect(repeats.map((item) => item.uploadId)).toEqual(expect.arrayContaining([1, 2, 3, 4, 5, 6].map(id)));
    expect(repeats).toHaveLength(6);
    for (const upload of uploads) {
      const analysis = analyses.find((item) => item.id === upload.analysisId)!;
      expect(repeats.find((item) => item.uploadId === upload.id)).toMatchObject({
        pk: `OWNER#${upload.owner}`,
        sk: `REPEAT#${upload.uploadFileHash}#${analysis.variantKey}`,
        analysisId: analysis.id,
        suggestions: analysis.suggestions,
      });
    }
    // The pHash index entries still point at the analyses, unchanged.
    expect(after.filter((item) => String(item.pk).startsWith("PHSEG#"))).toEqual(before.filter((item) => String(item.pk).startsWith("PHSEG#")));
  });

  it("serves every migrated upload by its old id, with owner fields to the owner only, and its image (410 once expired)", async () => {
    const read = createGetAnalysisHandler(() => deps);
    const image = createImageHandler(() => deps);
    const owners: Record<string, { claims?: Record<string, unknown>; query?: Record<string, string>; sourceIp?: string }> = {
      [id(1)]: { claims: ADA },
      [id(2)]: { query: { fingerprint: "fp-anon" } },
      [id(3)]: { sourceIp: "198.51.100.23" },
      [id(4)]: { query: { fingerprint: "fp-anon" } },
      [id(5)]: { query: { fingerprint: "fp-flagged" } },
      [id(6)]: { claims: BOB },
    };
    for (const [uploadId, owner] of Object.entries(owners)) {
      const mine = parseJson(await get(read, `/api/photo-analysis/${uploadId}/`, { id: uploadId, ...owner }));
      expect(mine).toMatchObject({
        id: uploadId,
        image_url: `https://photos.example.com/api/photo-analysis/${uploadId}/image/`,
        file_hash: md5Hex(await readFile(`fixtures/photos/${PHOTOS[uploadId]}`)),
      });
      expect(mine.suggestions).toHaveLength(10);
      const theirs = parseJson(await get(read, `/api/photo-analysis/${uploadId}/`, { id: uploadId, query: { fingerprint: "fp-stranger" } }));
      expect(theirs).toEqual({ ...mine, username: null, context: null, file_hash: null, image_phash: null });
      const bytes = await get(image, `/api/photo-analysis/${uploadId}/image/`, { id: uploadId });
      if (uploadId === id(4)) {
        expect(bytes.statusCode).toBe(410);
        expect(mine.is_expired).toBe(true);
      } else {
        expect(bytes.statusCode, uploadId).toBe(200);
        expect(Buffer.from(bytes.body!, "base64")).toEqual(served.get(uploadId));
      }
    }
    expect(parseJson(await get(read, `/api/photo-analysis/${id(1)}/`, { id: id(1), claims: ADA }))).toMatchObject({
      username: "ada@example.com",
      times_used: 2,
    });
    expect(parseJson(await get(read, `/api/photo-analysis/${id(6)}/`, { id: id(6), claims: BOB }))).toMatchObject({
      username: "bob",
      context: "names for my hiking club",
      style: "playful",
      language: "es",
    });
  });

  it("lists recent uploads by owner: the signed-in user's not under their browser's fingerprint", async () => {
    const recent = createRecentHandler(() => deps);
    const ids = async (options: { claims?: Record<string, unknown>; query?: Record<string, string> }) =>
      parseJson(await get(recent, "/api/photo-analysis/recent/", options)).map((item: { id: string }) => item.id);
    expect(await ids({ claims: ADA })).toEqual([id(1)]);
    expect(await ids({ query: { fingerprint: "fp-ada-browser" } })).toEqual([]);
    expect(await ids({ query: { fingerprint: "fp-anon" } })).toEqual([id(2), id(4)]);
    expect(await ids({ claims: BOB })).toEqual([id(6)]);
  });

  it("shows the admin every upload, the flagged one's moderation, and the uploads of an MD5", async () => {
    const list = createAdminListHandler(() => deps);
    const detail = createAdminDetailHandler(() => deps);
    const admin = { authorization: "Bearer admin-secret" };
    const rows = parseJson(await get(list, "/api/admin/analyses/", { headers: admin, query: { from: "2026-05-01", to: "2026-05-12" } })).results;
    expect(rows.map((row: { id: string }) => row.id).sort()).toEqual([1, 2, 3, 4, 5, 6].map(id));
    expect(rows.find((row: { id: string }) => row.id === id(5))).toMatchObject({ flagged: true });
    expect(parseJson(await get(detail, `/api/admin/analyses/${id(5)}/`, { id: id(5), headers: admin }))).toMatchObject({
      moderation: { decision: "flag" },
      fingerprint: "fp-flagged",
      ip_address: "198.51.100.20",
    });
    const cat = md5Hex(await readFile("fixtures/photos/chelsea-cat.jpg"));
    expect(
      parseJson(await get(list, "/api/admin/analyses/", { headers: admin, query: { q: cat } }))
        .results.map((row: { id: string }) => row.id)
        .sort(),
    ).toEqual([id(1), id(6)]);
  });

  it("shows a previous release's done job from its upload, with links from configuration (not the origin it stored)", async () => {
    const job = createJobHandler(() => deps);
    const body = parseJson(
      await get(job, `/api/photo-analysis/jobs/0b8e1c2d-0000-4000-8000-0000000000a1/`, {
        id: "0b8e1c2d-0000-4000-8000-0000000000a1",
        query: { fingerprint: "fp-anon" },
      }),
    );
    expect(body).toMatchObject({ status: "done", analysis: { id: id(2), image_url: `https://photos.example.com/api/photo-analysis/${id(2)}/image/` } });
    expect(JSON.stringify(body)).not.toContain("client-sent-host");
  });

  it("answers the cache from migrated data: the owner from their upload, others through their own, with no vision call", async () => {
    const upload = createUploadHandler(() => deps);
    const send = async (bytes: Buffer, options: { fingerprint?: string; claims?: Record<string, unknown> }) =>
      (await upload(uploadEvent(bytes, options), {} as never)) as HttpResult;
    const calls = suite.fake.callCount;
    const cat = await readFile("fixtures/photos/chelsea-cat.jpg");
    const ada = await send(cat, { claims: ADA });
    expect(ada.statusCode).toBe(200);
    expect(parseJson(ada)).toMatchObject({ cached: true, match: "exact", analysis: { id: id(1), times_used: 3, username: "ada@example.com" } });
    const stranger = await send(cat, { fingerprint: "fp-stranger" });
    expect(stranger.statusCode).toBe(201);
    const theirs = parseJson(stranger);
    expect(theirs).toMatchObject({ cached: false, analysis: { times_used: 0, username: null } });
    expect(theirs.analysis.id).not.toBe(id(1));
    const thumbnail = await sharp(await readFile("fixtures/photos/coffee-mug.jpg"))
      .resize(96)
      .jpeg({ quality: 70 })
      .toBuffer();
    const similar = await send(thumbnail, { fingerprint: "fp-stranger" });
    expect(similar.statusCode).toBe(201);
    expect(parseJson(similar).match).toBeUndefined();
    expect(suite.fake.callCount).toBe(calls);
  });

  it("erases the expired migrated upload at cleanup (a tombstone) and lets owners delete theirs", async () => {
    const summary = await cleanupExpired(deps, { dryRun: false, batchSize: 10 });
    expect(summary).toMatchObject({ uploadsErased: 1, analysesDeleted: 1, failures: [] });
    const read = createGetAnalysisHandler(() => deps);
    const tombstone = parseJson(await get(read, `/api/photo-analysis/${id(4)}/`, { id: id(4), query: { fingerprint: "fp-anon" } }));
    expect(tombstone).toMatchObject({ id: id(4), is_expired: true, suggestions: [], username: null, ai_vision_model: "gpt-4o-2024-08-06" });
    expect(analysisSchema.safeParse(tombstone).error).toBeUndefined();
    expect(await deps.imageStores.s3!.get(`photo_analysis/${id(4)}.jpg`)).toBeNull();

    const remove = createDeleteHandler(() => deps);
    const del = (uploadId: string, options: { query?: Record<string, string>; sourceIp?: string }) =>
      remove(httpEvent({ method: "DELETE", path: `/api/photo-analysis/${uploadId}/`, pathParameters: { id: uploadId }, ...options }));
    expect((await del(id(3), { sourceIp: "203.0.113.99" })).statusCode).toBe(404);
    expect((await del(id(3), { sourceIp: "198.51.100.23" })).statusCode).toBe(204);
    expect(await deps.imageStores.local!.get(`photo_analysis/${id(3)}.jpg`)).toBeNull();
    expect((await del(id(2), { query: { fingerprint: "fp-anon" } })).statusCode).toBe(204);
    expect((await get(read, `/api/photo-analysis/${id(2)}/`, { id: id(2) })).statusCode).toBe(404);
  });
});
