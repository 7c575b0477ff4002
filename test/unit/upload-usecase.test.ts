import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { BusyError, InvalidInputError, RateLimitedError } from "../../shared/domain/errors.js";
import type { Caller } from "../../shared/domain/types.js";
import { FallbackVisionProvider } from "../../shared/vision/select.js";
import { analyzeUpload } from "../../shared/usecases/upload.js";
import { distinctImages } from "../helpers/photos.js";
import { memoryClock, memoryDeps, providerFailure, ScriptedVision } from "../doubles/memory.js";

/**
 * Every branch of the upload use case, on memory doubles of its ports: no servers, milliseconds
 * per test. The same behaviours hold against DynamoDB and S3 (test/contract checks the doubles keep
 * the adapters' semantics; test/integration runs the handlers against the real local servers).
 */

const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
const caller: Caller = { userId: null, username: null, fingerprint: "fp-unit", ipAddress: "198.51.100.1" };
const [photoA, photoB] = await distinctImages(2, 4242);

describe("analyzeUpload", () => {
  it("analyses a new photo once: image stored, record committed, one unit charged, claim completed", async () => {
    const { deps, records, images, counters, claims, vision } = memoryDeps();
    const outcome = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(outcome.cached).toBe(false);
    expect(vision).toMatchObject({ calls: 1 });
    expect(records.records.size).toBe(1);
    expect(images.objects.has(outcome.record.imagePath)).toBe(true);
    expect(counters.total("fp:fp-unit")).toBe(1);
    expect([...claims.claims.values()][0]).toMatchObject({ recordId: outcome.record.id });
    expect(outcome.rateLimit).toEqual({ limit: 5, remaining: 4, resetSeconds: expect.any(Number) });
  });

  it("answers the same bytes from the cache: no provider call, no unit, times_used + 1", async () => {
    const { deps, vision, counters } = memoryDeps();
    await analyzeUpload(deps, { bytes: coffee, caller });
    const again = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(again).toMatchObject({ cached: true, match: { type: "exact", distance: 0 } });
    expect(again.record.timesUsed).toBe(1);
    expect(vision.calls).toBe(1);
    expect(counters.total("fp:")).toBe(1);
  });

  it("reuses a perceptually similar photo (a re-encoded copy) and not one analysed in another style", async () => {
    const { deps, vision } = memoryDeps();
    await analyzeUpload(deps, { bytes: coffee, caller });
    const recompressed = await sharp(coffee).jpeg({ quality: 60 }).toBuffer();
    expect(await analyzeUpload(deps, { bytes: recompressed, caller })).toMatchObject({ cached: true, match: { type: "similar" } });
    expect(vision.calls).toBe(1);
    expect((await analyzeUpload(deps, { bytes: coffee, caller, style: "cozy" })).cached).toBe(false);
    expect(vision.calls).toBe(2);
  });

  it("never matches featureless images through their pHash: two flat colours are two analyses", async () => {
    const { deps, vision } = memoryDeps();
    const white = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#ffffff" } }).jpeg().toBuffer();
    const red = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#ff0000" } }).png().toBuffer();
    expect((await analyzeUpload(deps, { bytes: white, caller })).cached).toBe(false);
    expect((await analyzeUpload(deps, { bytes: red, caller })).cached).toBe(false);
    expect(vision.calls).toBe(2);
  });

  it("gives the unit back and releases the claim when the provider fails; nothing is stored", async () => {
    const { deps, records, images, counters, claims } = memoryDeps({ vision: new ScriptedVision([providerFailure()]) });
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow("provider down");
    expect(records.records.size).toBe(0);
    expect(images.objects.size).toBe(0);
    expect(counters.total("fp:")).toBe(0);
    expect(claims.claims.size).toBe(0);
    expect((await analyzeUpload(deps, { bytes: coffee, caller })).cached).toBe(false);
  });

  it("answers from the fallback chain when the first provider fails", async () => {
    const first = new ScriptedVision([providerFailure("first down")], "first");
    const second = new ScriptedVision([], "second");
    const { deps } = memoryDeps({ vision: new FallbackVisionProvider([first, second]) });
    const outcome = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(outcome.record.provider).toBe("second");
    expect([first.calls, second.calls]).toEqual([1, 1]);
  });

  it("removes the image when the record write is refused, and keeps it when the outcome is unknown (the orphan sweep decides)", async () => {
    const refused = memoryDeps();
    refused.records.fail("create", Object.assign(new Error("validation"), { $metadata: { httpStatusCode: 400 } }));
    await expect(analyzeUpload(refused.deps, { bytes: coffee, caller })).rejects.toThrow("validation");
    expect(refused.images.objects.size).toBe(0);
    expect(refused.counters.total("fp:")).toBe(0);

    const unknown = memoryDeps();
    unknown.records.fail("create", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    unknown.records.fail("get", new Error("still down"));
    await expect(analyzeUpload(unknown.deps, { bytes: coffee, caller })).rejects.toThrow("socket hang up");
    expect(unknown.images.objects.size).toBe(1);
  });

  it("treats a record write whose response was lost as committed: 201, nothing removed", async () => {
    const { deps, records, images } = memoryDeps();
    const create = records.create.bind(records);
    records.create = async (record) => {
      await create(record);
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    };
    const outcome = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(outcome.cached).toBe(false);
    expect(images.objects.has(outcome.record.imagePath)).toBe(true);
  });

  it("lets racing uploads of one photo make one analysis: the others wait for the holder's record", async () => {
    let release!: () => void;
    const vision = new ScriptedVision();
    vision.gate = new Promise<void>((resolve) => (release = resolve));
    const { deps, records } = memoryDeps({ vision });
    const uploads = Array.from({ length: 5 }, (_, i) => analyzeUpload(deps, { bytes: coffee, caller: { ...caller, fingerprint: `fp-${i}` } }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const outcomes = await Promise.all(uploads);
    expect(vision.calls).toBe(1);
    expect(records.records.size).toBe(1);
    expect(outcomes.filter((o) => o.cached)).toHaveLength(4);
    // Every answer, the waiters' included, says where its caller stands (RateLimit-* headers).
    expect(outcomes.every((o) => o.rateLimit !== undefined)).toBe(true);
  });

  it("takes over a crashed holder's claim once its lease has run out", async () => {
    const clock = memoryClock();
    const { deps, claims, vision } = memoryDeps({ clock });
    const key = (await import("node:crypto")).createHash("md5").update(coffee).digest("hex");
    await claims.acquire(key, "crashed-request", clock.now().getTime() + 5_000, clock.now().getTime());
    const outcome = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(outcome.cached).toBe(false);
    expect(vision.calls).toBe(1);
    expect(claims.claims.get(key)).toMatchObject({ recordId: outcome.record.id });
  });

  it("never waits past its own deadline: 503 with Retry-After while another request holds the photo", async () => {
    const clock = memoryClock();
    const { deps, claims, vision } = memoryDeps({ clock });
    const key = (await import("node:crypto")).createHash("md5").update(coffee).digest("hex");
    await claims.acquire(key, "slow-request", clock.now().getTime() + 60_000, clock.now().getTime());
    const error = await analyzeUpload(deps, { bytes: coffee, caller, deadline: new Date(clock.now().getTime() + 10_000) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BusyError);
    expect((error as BusyError).retryAfterSeconds).toBeGreaterThan(0);
    expect(clock.now().getTime()).toBeLessThan(Date.parse("2026-03-01T12:00:10.000Z"));
    expect(vision.calls).toBe(0);
  });

  it("is not blocked by its own earlier claim (a retried acquire)", async () => {
    const { claims } = memoryDeps();
    expect(await claims.acquire("k", "me", 10_000, 0)).toBe(true);
    expect(await claims.acquire("k", "me", 10_000, 1)).toBe(true);
    expect(await claims.acquire("k", "other", 10_000, 2)).toBe(false);
  });

  it("refuses an over-limit caller before decoding anything, and counts the refusal", async () => {
    const { deps, stats } = memoryDeps({ settings: { PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1" } });
    await analyzeUpload(deps, { bytes: photoA!, caller });
    // Garbage bytes would be a 400 if decoded; the standing check answers first.
    await expect(analyzeUpload(deps, { bytes: Buffer.from("not an image at all"), caller })).rejects.toBeInstanceOf(RateLimitedError);
    expect(stats.count("rate_limited")).toBe(1);
    // A cache hit still answers: it costs nothing.
    expect((await analyzeUpload(deps, { bytes: photoA!, caller })).cached).toBe(true);
    await expect(analyzeUpload(deps, { bytes: photoB!, caller })).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("rejects empty and oversized files with the seed's messages", async () => {
    const { deps } = memoryDeps({ settings: { PHOTO_ANALYSIS_MAX_FILE_SIZE_MB: "0.001" } });
    await expect(analyzeUpload(deps, { bytes: Buffer.alloc(0), caller })).rejects.toEqual(new InvalidInputError("image", "The submitted file is empty."));
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow("Image file too large. Maximum size is 0.001MB.");
  });
});

describe("image TTL ceiling", () => {
  it("never promises an image past the deployment's ceiling, whatever the live setting says", async () => {
    const { deps } = memoryDeps({ settings: { PHOTO_ANALYSIS_IMAGE_TTL_HOURS: "2000" } });
    const capped = { ...deps, maxImageTtlHours: 720 };
    const outcome = await analyzeUpload(capped, { bytes: coffee, caller });
    expect(Date.parse(outcome.record.expiresAt!) - Date.parse(outcome.record.createdAt)).toBe(720 * 3_600_000);
    const uncapped = await analyzeUpload(deps, { bytes: photoA!, caller: { ...caller, fingerprint: "fp-2" } });
    expect(Date.parse(uncapped.record.expiresAt!) - Date.parse(uncapped.record.createdAt)).toBe(2000 * 3_600_000);
  });
});
