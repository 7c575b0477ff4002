import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { beforeEach, describe, expect, it } from "vitest";
import { createUploadHandler } from "../../functions/upload/handler.js";
import type { HttpResult } from "../../functions/http.js";
import { md5Hex } from "../../shared/image/hash.js";
import { parseJson, uploadEvent } from "../helpers/events.js";
import { manualClock, useLocalStack } from "../helpers/stack.js";
import { captureLogs } from "../helpers/console.js";

const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
const cat = await readFile("fixtures/photos/chelsea-cat.jpg");

const suite = useLocalStack();
beforeEach(() => {
  suite.fake.behaviors = [{ kind: "suggestions" }];
});

async function setup(env: NodeJS.ProcessEnv = {}) {
  const clock = manualClock();
  const deps = await suite.stack.deps(
    {
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: suite.fake.baseUrl,
      PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0",
      PHOTO_ANALYSIS_ENABLE_RATE_LIMITING: "false",
      ...env,
    },
    { now: clock.now },
  );
  const handler = createUploadHandler(() => deps);
  const upload = async (bytes: Buffer, fingerprint = "fp") => (await handler(uploadEvent(bytes, { fingerprint }), {} as never)) as HttpResult;
  return { upload, clock, deps };
}

describe("exact and near-duplicate answers", () => {
  it("marks an exact hit as such", async () => {
    const { upload } = await setup();
    await upload(cat);
    const body = parseJson(await upload(cat));
    expect(body).toMatchObject({ cached: true, match: "exact", match_distance: 0 });
  });

  it("answers a resized, recompressed copy from the stored analysis without a vision call", async () => {
    const { upload } = await setup();
    const original = parseJson(await upload(coffee));
    const calls = suite.fake.callCount;
    for (const [index, variant] of [
      await sharp(coffee).resize(200).jpeg({ quality: 70 }).toBuffer(),
      await sharp(coffee).png().toBuffer(),
      await sharp(coffee).modulate({ brightness: 1.1 }).jpeg().toBuffer(),
    ].entries()) {
      const result = await upload(variant);
      expect(result.statusCode).toBe(200);
      const body = parseJson(result);
      expect(body.cached).toBe(true);
      expect(body.match).toBe("similar");
      expect(body.match_distance).toBeLessThanOrEqual(4);
      expect(body.analysis.id).toBe(original.analysis.id);
      expect(body.analysis.times_used).toBe(index + 1);
    }
    expect(suite.fake.callCount).toBe(calls);
  });

  it("analyses a different photo (miss)", async () => {
    const { upload } = await setup();
    await upload(coffee);
    const result = await upload(cat);
    expect(result.statusCode).toBe(201);
    expect(parseJson(result).match).toBeUndefined();
  });

  it("does not reuse an expired analysis for a similar photo", async () => {
    const { upload, clock } = await setup();
    await upload(coffee);
    clock.advance(169 * 3600_000);
    expect((await upload(await sharp(coffee).png().toBuffer())).statusCode).toBe(201);
  });

  it("can be switched off", async () => {
    const { upload } = await setup({ PHOTO_ANALYSIS_ENABLE_SIMILARITY_MATCHING: "false" });
    await upload(coffee);
    expect((await upload(await sharp(coffee).png().toBuffer())).statusCode).toBe(201);
  });
});

describe("one analysis per photo under concurrency", () => {
  it("10 identical uploads at once by one caller: one provider call, one analysis, one upload, times_used 9", async () => {
    const { upload, deps } = await setup();
    suite.fake.behaviors = [{ kind: "suggestions", delayMs: 400 }];
    const photo = await sharp(cat).resize(300).jpeg({ quality: 77 }).toBuffer();
    const calls = suite.fake.callCount;
    const results = await Promise.all(Array.from({ length: 10 }, () => upload(photo, "fp-race")));
    expect(suite.fake.callCount - calls).toBe(1);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const ids = new Set(results.map((r) => parseJson(r).analysis.id));
    expect(ids.size).toBe(1);
    const uploads = await deps.uploads.listRecent({ fingerprint: "fp-race" }, 50);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.timesUsed).toBe(9);
  });

  it("takes over a claim whose owner crashed once its lease has run out", async () => {
    const { upload, deps, clock } = await setup();
    const photo = await sharp(coffee).resize(333).jpeg({ quality: 71 }).toBuffer();
    const now = clock.now().getTime();
    expect(await deps.claims.acquire(md5Hex(photo), "crashed-request", now + 60_000, now)).toBe(true);
    clock.advance(61_000);
    const started = performance.now();
    const result = await upload(photo);
    expect(result.statusCode).toBe(201);
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await deps.claims.read(md5Hex(photo)))!.recordId).toBe((await deps.uploads.get(parseJson(result).analysis.id))!.analysisId);
  });

  it("a failed analysis releases the claim so the next upload can try", async () => {
    captureLogs(); // this path logs on purpose
    const { upload } = await setup();
    const photo = await sharp(coffee).resize(222).jpeg({ quality: 73 }).toBuffer();
    suite.fake.behaviors = [{ kind: "status", status: 500 }, { kind: "suggestions" }];
    expect((await upload(photo)).statusCode).toBe(500);
    expect((await upload(photo)).statusCode).toBe(201);
  });
});
