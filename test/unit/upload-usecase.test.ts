import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { describe, expect, it, vi } from "vitest";
import { AnalysisFailedError, BusyError, InvalidInputError, RateLimitedError, UnprocessableInputError } from "../../shared/domain/errors.js";
import { parsePromptFields } from "../../functions/http.js";
import type { VisionInput } from "../../shared/vision/provider.js";
import type { Caller } from "../../shared/domain/types.js";
import { FallbackVisionProvider } from "../../shared/vision/select.js";
import { analyzeUpload } from "../../shared/usecases/upload.js";
import { distinctImages } from "../helpers/photos.js";
import { memoryClock, memoryDeps, providerFailure, ScriptedVision } from "../doubles/memory.js";
import { expectNormalizedCopy } from "../helpers/images.js";
import { captureLogs } from "../helpers/console.js";

/**
 * Every branch of the upload use case, on memory doubles of its ports: no servers, milliseconds
 * per test. The same behaviours hold against DynamoDB and S3 (test/contract checks the doubles keep
 * the adapters' semantics; test/integration runs the handlers against the real local servers).
 */

const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
const caller: Caller = { userId: null, username: null, fingerprint: "fp-unit", ipAddress: "198.51.100.1" };
const [photoA, photoB] = await distinctImages(2, 4242);

describe("analyzeUpload", () => {
  it("analyses a new photo once: image stored, analysis and the caller's upload committed, one unit charged, claim completed", async () => {
    const { deps, analyses, uploads, images, counters, claims, vision } = memoryDeps();
    const outcome = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(outcome.cached).toBe(false);
    expect(vision).toMatchObject({ calls: 1 });
    expect([analyses.analyses.size, uploads.uploads.size]).toEqual([1, 1]);
    expect(outcome.upload).toMatchObject({
      analysisId: outcome.analysis.id,
      owner: "fp:fp-unit",
      fingerprint: "fp-unit",
      ipAddress: "198.51.100.1",
      timesUsed: 0,
    });
    expect(images.objects.has(outcome.upload.imagePath)).toBe(true);
    // The analysis points at the upload's image as the copy source for exact hits, and names nobody.
    const stored = (await analyses.get(outcome.analysis.id))!;
    expect(stored.image?.path).toBe(outcome.upload.imagePath);
    for (const analysis of [stored, outcome.analysis]) {
      expect(Object.keys(analysis)).not.toEqual(expect.arrayContaining(["userId"]));
      expect(JSON.stringify(analysis)).not.toMatch(/fp-unit|198\.51\.100\.1/);
    }
    expect(counters.total("fp:fp-unit")).toBe(1);
    expect([...claims.claims.values()][0]).toMatchObject({ recordId: outcome.analysis.id });
    expect(outcome.rateLimit).toEqual({ limit: 5, remaining: 4, resetSeconds: expect.any(Number) });
  });

  it("makes the cloud model's JPEG copy once when a cloud moderator and a cloud provider both send it, and none for pixel models", async () => {
    /** A provider that sends the JPEG copy, as the cloud ones do, and keeps what it was given. */
    class JpegVision extends ScriptedVision {
      readonly sent: Buffer[] = [];
      override async analyze(input: VisionInput) {
        this.sent.push(await input.jpeg());
        return super.analyze(input);
      }
    }
    const vision = new JpegVision();
    const { deps } = memoryDeps({ vision });
    const moderated: Buffer[] = [];
    const clean = { labels: [], explicit: 0, suggestive: 0 };
    deps.moderator = async () => ({
      name: "cloud",
      moderateImage: async (input) => {
        moderated.push(await input.jpeg());
        return clean;
      },
    });
    await analyzeUpload(deps, { bytes: coffee, caller });
    expect(moderated).toHaveLength(1);
    expect(vision.sent).toHaveLength(1);
    expect(vision.sent[0]).toBe(moderated[0]); // the same copy, not a second encode
    expect((await sharp(vision.sent[0]!).metadata()).width).toBe(512);

    // Pixel models (the local ones) ask for no JPEG: none is made.
    const local = memoryDeps();
    let pixelsAsked = 0;
    local.deps.moderator = async () => ({
      name: "local",
      moderateImage: async (input) => {
        pixelsAsked += (await input.rgb(8)).length;
        return clean;
      },
    });
    const encodes = vi.spyOn(sharp.prototype, "jpeg");
    try {
      await analyzeUpload(local.deps, { bytes: coffee, caller });
      // The stored copy is the only JPEG encoded (normalisation for storage); no 512 px copy.
      const options = encodes.mock.calls.map(([given]) => given as { quality?: number; mozjpeg?: boolean } | undefined);
      expect(options.map((given) => given?.quality)).toEqual([85]);
      expect(options.some((given) => given?.mozjpeg === false)).toBe(false);
    } finally {
      encodes.mockRestore();
    }
    expect(pixelsAsked).toBe(8 * 8 * 3);
  });

  it("answers the same caller's same bytes from their own upload: no provider call, no unit, times_used + 1", async () => {
    const { deps, vision, counters, uploads } = memoryDeps();
    const first = await analyzeUpload(deps, { bytes: coffee, caller });
    const again = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(again).toMatchObject({ cached: true, match: { type: "exact", distance: 0 } });
    expect(again.upload.id).toBe(first.upload.id);
    expect(again.upload.timesUsed).toBe(1);
    expect(uploads.uploads.size).toBe(1);
    expect(vision.calls).toBe(1);
    expect(counters.total("fp:")).toBe(1);
  });

  it("answers the caller's repeat from their repeat entry and their upload alone: no analysis read, one use counted, the analysis's names", async () => {
    const { deps, analyses, uploads, stats } = memoryDeps();
    const first = await analyzeUpload(deps, { bytes: coffee, caller });
    const reads = [vi.spyOn(analyses, "findByFileHash"), vi.spyOn(analyses, "get"), vi.spyOn(uploads, "reuseOwn")];
    const again = await analyzeUpload(deps, { bytes: coffee, caller });
    for (const read of reads) expect(read).not.toHaveBeenCalled();
    expect(again).toMatchObject({ cached: true, match: { type: "exact", distance: 0 }, upload: { id: first.upload.id, timesUsed: 1 } });
    const { suggestions, labels, aiVisionModel, provider, tokenUsage, estimatedCostUsd } = first.analysis;
    expect(again.analysis).toEqual({ id: first.analysis.id, suggestions, labels, aiVisionModel, provider, tokenUsage, estimatedCostUsd });
    expect(stats.events.map((entry) => entry.event.kind)).toEqual(["analysis", "exact_hit"]);
  });

  it("counts a redelivered job's repeat (the same quota token) as one use, however often it runs", async () => {
    const { deps } = memoryDeps();
    await analyzeUpload(deps, { bytes: coffee, caller });
    const job = { bytes: coffee, caller, meterToken: "job:1" };
    expect((await analyzeUpload(deps, job)).upload.timesUsed).toBe(1);
    expect((await analyzeUpload(deps, job)).upload.timesUsed).toBe(1);
    expect((await analyzeUpload(deps, { bytes: coffee, caller })).upload.timesUsed).toBe(2);
  });

  it("answers an own upload with no repeat entry (made before the entries existed) the long way, and gives it one for the next repeat", async () => {
    const { deps, analyses, uploads } = memoryDeps();
    const first = await analyzeUpload(deps, { bytes: coffee, caller });
    uploads.repeats.clear();
    const found = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(found).toMatchObject({ cached: true, match: { type: "exact" }, upload: { id: first.upload.id, timesUsed: 1 } });
    expect([...uploads.repeats.values()]).toMatchObject([{ uploadId: first.upload.id, analysisId: first.analysis.id, owner: "fp:fp-unit" }]);
    const lookups = vi.spyOn(analyses, "findByFileHash");
    expect((await analyzeUpload(deps, { bytes: coffee, caller })).upload.timesUsed).toBe(2);
    expect(lookups).not.toHaveBeenCalled();
  });

  it("answers the long way when a repeat entry leads nowhere (its upload never committed), counting the request once", async () => {
    const { deps, uploads, stats } = memoryDeps();
    const first = await analyzeUpload(deps, { bytes: coffee, caller });
    const other: Caller = { ...caller, fingerprint: "fp-other" };
    // What a create that wrote its entries and then failed (without a definite refusal) leaves behind.
    const [entry] = [...uploads.repeats.values()];
    await uploads.rememberRepeat({ ...entry!, owner: "fp:fp-other", uploadId: "never-committed" });
    const theirs = await analyzeUpload(deps, { bytes: coffee, caller: other });
    expect(theirs).toMatchObject({ cached: false, analysis: { id: first.analysis.id }, upload: { owner: "fp:fp-other", timesUsed: 0 } });
    expect(stats.count("exact_hit")).toBe(1);
    // Their new upload's entry replaced the one that led nowhere.
    expect((await analyzeUpload(deps, { bytes: coffee, caller: other })).upload).toMatchObject({ id: theirs.upload.id, timesUsed: 1 });
  });

  it("answers another caller's same bytes through their own new upload: own id and image (a copy), no owner fields of the first, no provider call, no unit", async () => {
    const { deps, vision, counters, images, analyses, stats } = memoryDeps();
    const first = await analyzeUpload(deps, {
      bytes: coffee,
      caller: { userId: "u-1", username: "ada@example.com", fingerprint: "fp-ada", ipAddress: "198.51.100.9" },
    });
    const stranger: Caller = { userId: null, username: null, fingerprint: "fp-stranger", ipAddress: "203.0.113.5" };
    const copies = vi.spyOn(images, "copy");
    const theirs = await analyzeUpload(deps, { bytes: coffee, caller: stranger });
    expect(theirs).toMatchObject({ cached: false, analysis: { id: first.analysis.id } });
    expect(theirs.match).toBeUndefined();
    expect(theirs.upload).toMatchObject({
      owner: "fp:fp-stranger",
      userId: null,
      username: null,
      fingerprint: "fp-stranger",
      timesUsed: 0,
      analysisId: first.analysis.id,
    });
    expect(theirs.upload.id).not.toBe(first.upload.id);
    expect(theirs.upload.imagePath).not.toBe(first.upload.imagePath);
    expect(copies).toHaveBeenCalledWith(first.upload.imagePath, theirs.upload.imagePath);
    expect(images.objects.get(theirs.upload.imagePath)!.bytes).toEqual(images.objects.get(first.upload.imagePath)!.bytes);
    expect([vision.calls, counters.total("fp:fp-stranger"), stats.count("exact_hit")]).toEqual([1, 0, 1]);
    // The shared analysis now lives as long as the newest upload, and points at the newest copy.
    expect((await analyses.get(first.analysis.id))!.image!.path).toBe(theirs.upload.imagePath);
    // Their own repeat is then answered from their own upload.
    expect(await analyzeUpload(deps, { bytes: coffee, caller: stranger })).toMatchObject({ cached: true, upload: { id: theirs.upload.id, timesUsed: 1 } });
  });

  it("gives a caller one upload on an analysis however many of their requests race to it (a double submission)", async () => {
    const { deps, uploads, vision } = memoryDeps();
    await analyzeUpload(deps, { bytes: coffee, caller: { ...caller, fingerprint: "fp-first" } });
    const stranger: Caller = { ...caller, fingerprint: "fp-double" };
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => analyzeUpload(deps, { bytes: coffee, caller: stranger })));
    expect([...uploads.uploads.values()].filter((upload) => upload.owner === "fp:fp-double")).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.upload.id)).size).toBe(1);
    expect(outcomes.map((o) => o.cached).sort()).toEqual([false, true, true, true]);
    expect(vision.calls).toBe(1);
  });

  it("stores another caller's own bytes when the copy source is gone, and their own normalised bytes for a similar photo", async () => {
    const { deps, images, vision } = memoryDeps();
    const first = await analyzeUpload(deps, { bytes: coffee, caller });
    await images.delete(first.upload.imagePath);
    const exact = await analyzeUpload(deps, { bytes: coffee, caller: { ...caller, fingerprint: "fp-2" } });
    expect(exact.cached).toBe(false);
    await expectNormalizedCopy(images.objects.get(exact.upload.imagePath)!.bytes, coffee);
    const thumbnail = await sharp(coffee).resize(64).jpeg({ quality: 70 }).toBuffer();
    const similar = await analyzeUpload(deps, { bytes: thumbnail, caller: { ...caller, fingerprint: "fp-3" } });
    expect(similar).toMatchObject({ cached: false, analysis: { id: first.analysis.id } });
    const stored = images.objects.get(similar.upload.imagePath)!.bytes;
    expect((await sharp(stored).metadata()).width).toBe(64);
    expect(similar.upload).toMatchObject({ fileSize: thumbnail.length, storedSize: stored.length });
    expect(similar.upload.fileHash).not.toBe(first.upload.fileHash);
    expect(vision.calls).toBe(1);
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
    const white = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#ffffff" } })
      .jpeg()
      .toBuffer();
    const red = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#ff0000" } })
      .png()
      .toBuffer();
    expect((await analyzeUpload(deps, { bytes: white, caller })).cached).toBe(false);
    expect((await analyzeUpload(deps, { bytes: red, caller })).cached).toBe(false);
    expect(vision.calls).toBe(2);
  });

  it("gives the unit back and releases the claim when the provider fails; nothing is stored", async () => {
    const { deps, analyses, uploads, images, counters, claims } = memoryDeps({ vision: new ScriptedVision([providerFailure()]) });
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow("provider down");
    expect([analyses.analyses.size, uploads.uploads.size]).toEqual([0, 0]);
    expect(images.objects.size).toBe(0);
    expect(counters.total("fp:")).toBe(0);
    expect(claims.claims.size).toBe(0);
    expect((await analyzeUpload(deps, { bytes: coffee, caller })).cached).toBe(false);
  });

  it("keeps the unit of a billed failure (a reply that arrived unusable) and remembers it: the same photo asked the same way is answered with it, not billed again, until the memory runs out", async () => {
    const clock = memoryClock();
    const unusable = new AnalysisFailedError("Vision provider returned 7 usable suggestions; 10 are required", { billed: true });
    const { deps, counters, claims, vision } = memoryDeps({
      vision: new ScriptedVision([unusable]),
      clock,
      settings: { PHOTO_ANALYSIS_FAILURE_MEMORY_SECONDS: "60" },
    });
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow("7 usable suggestions");
    expect([vision.calls, counters.total("fp:")]).toEqual([1, 1]);
    expect([...claims.claims.values()][0]).toMatchObject({ failure: unusable.detail });
    // Remembered, for anyone: no provider call, no unit, no decode (the upload budget is untouched).
    const stranger = { ...caller, fingerprint: "fp-other" };
    await expect(analyzeUpload(deps, { bytes: coffee, caller: stranger })).rejects.toThrow(
      /failed moments ago \(Vision provider returned 7 usable suggestions.*another 60 s/,
    );
    expect([vision.calls, counters.total("fp:"), counters.total("uploads:fp:fp-other")]).toEqual([1, 1, 0]);
    // Another style is another request to the provider: not remembered.
    expect((await analyzeUpload(deps, { bytes: coffee, caller, style: "cozy" })).cached).toBe(false);
    clock.advance(61_000);
    expect((await analyzeUpload(deps, { bytes: coffee, caller })).cached).toBe(false);
    expect([vision.calls, counters.total("fp:")]).toEqual([3, 3]);
  });

  it("keeps the unit when text moderation rejects the names the provider wrote (billed), and gives it back for a transport failure (not billed)", async () => {
    const { deps, counters, vision } = memoryDeps({ vision: new ScriptedVision([providerFailure("could not connect")]) });
    deps.textModerator = async () => ({
      name: "rejecting",
      moderateImage: async () => ({ labels: [], explicit: 0, suggestive: 0 }),
      moderateTexts: async (texts: string[]) => texts.map((_, index) => index < 2),
    });
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow("could not connect");
    expect([vision.calls, counters.total("fp:")]).toEqual([1, 0]);
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow("2 rejected by moderation");
    expect([vision.calls, counters.total("fp:")]).toEqual([2, 1]);
  });

  it("spends the upload budget on every photo it decodes and moderates (near-duplicate hits included) and none on exact-byte hits; past the budget a 429 before any decode", async () => {
    const { deps, counters, vision, moderator } = memoryDeps({
      settings: { PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "2", PHOTO_ANALYSIS_UPLOADS_PER_ANALYSIS: "2" },
    });
    await analyzeUpload(deps, { bytes: coffee, caller });
    for (let i = 0; i < 3; i++) expect((await analyzeUpload(deps, { bytes: coffee, caller })).match).toEqual({ type: "exact", distance: 0 });
    expect([moderator.calls, counters.total("uploads:fp:fp-unit")]).toEqual([1, 1]);
    for (const quality of [50, 60, 70]) {
      expect(await analyzeUpload(deps, { bytes: await sharp(coffee).jpeg({ quality }).toBuffer(), caller })).toMatchObject({ match: { type: "similar" } });
    }
    // Garbage bytes would be a 400 if decoded: the spent budget answers first (the analysis units are not spent).
    await expect(analyzeUpload(deps, { bytes: Buffer.from("not an image at all"), caller })).rejects.toBeInstanceOf(RateLimitedError);
    // Decodes and moderation calls never exceed the budget (4 = 2 analysis units × 2).
    expect([vision.calls, moderator.calls, counters.total("uploads:fp:fp-unit"), counters.total("fp:fp-unit")]).toEqual([1, 4, 4, 1]);
  });

  it("spends the upload budget, not a unit, on a new upload of the caller's on someone else's analysis (it keeps a copy of the image); repeats of their own stay free", async () => {
    const { deps, counters } = memoryDeps({ settings: { PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1", PHOTO_ANALYSIS_UPLOADS_PER_ANALYSIS: "1" } });
    const stranger = { ...caller, fingerprint: "fp-copier" };
    await analyzeUpload(deps, { bytes: photoA!, caller });
    await analyzeUpload(deps, { bytes: photoB!, caller: { ...caller, fingerprint: "fp-second" } });
    expect((await analyzeUpload(deps, { bytes: photoA!, caller: stranger })).cached).toBe(false);
    expect([counters.total("uploads:fp:fp-copier"), counters.total("fp:fp-copier")]).toEqual([1, 0]);
    expect((await analyzeUpload(deps, { bytes: photoA!, caller: stranger })).cached).toBe(true);
    await expect(analyzeUpload(deps, { bytes: photoB!, caller: stranger })).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("answers from the fallback chain when the first provider fails", async () => {
    captureLogs(); // this path logs on purpose
    const first = new ScriptedVision([providerFailure("first down")], "first");
    const second = new ScriptedVision([], "second");
    const { deps } = memoryDeps({ vision: new FallbackVisionProvider([first, second]) });
    const outcome = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(outcome.analysis.provider).toBe("second");
    expect([first.calls, second.calls]).toEqual([1, 1]);
  });

  it("removes the image when the analysis write is refused, and keeps it when the outcome is unknown (the orphan sweep decides)", async () => {
    const refused = memoryDeps();
    refused.analyses.fail("create", Object.assign(new Error("validation"), { $metadata: { httpStatusCode: 400 } }));
    await expect(analyzeUpload(refused.deps, { bytes: coffee, caller })).rejects.toThrow("validation");
    expect(refused.images.objects.size).toBe(0);
    // The provider answered (a billed call) before our write failed: the unit stays.
    expect(refused.counters.total("fp:")).toBe(1);

    const unknown = memoryDeps();
    unknown.analyses.fail("create", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    unknown.analyses.fail("get", new Error("still down"));
    await expect(analyzeUpload(unknown.deps, { bytes: coffee, caller })).rejects.toThrow("socket hang up");
    expect(unknown.images.objects.size).toBe(1);
  });

  it("keeps a committed analysis (and its unit) when the caller's upload write is refused; trying again answers with a new upload of theirs, no second vision call", async () => {
    const { deps, analyses, uploads, images, counters, vision } = memoryDeps();
    uploads.fail("create", Object.assign(new Error("validation"), { $metadata: { httpStatusCode: 400 } }));
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow("validation");
    expect([analyses.analyses.size, uploads.uploads.size, images.objects.size, counters.total("fp:")]).toEqual([1, 0, 0, 1]);
    const again = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(again).toMatchObject({ cached: false, upload: { owner: "fp:fp-unit" } });
    expect(images.objects.has(again.upload.imagePath)).toBe(true);
    expect([vision.calls, counters.total("fp:")]).toEqual([1, 1]);
  });

  it("treats an analysis write whose response was lost as committed: 201, nothing removed", async () => {
    const { deps, analyses, images } = memoryDeps();
    const create = analyses.create.bind(analyses);
    analyses.create = async (analysis) => {
      await create(analysis);
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    };
    const outcome = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(outcome.cached).toBe(false);
    expect(images.objects.has(outcome.upload.imagePath)).toBe(true);
  });

  it("lets racing uploads of one photo by five callers make one analysis: each waiter gets its own upload on it, none cached", async () => {
    let release!: () => void;
    const vision = new ScriptedVision();
    vision.gate = new Promise<void>((resolve) => (release = resolve));
    const { deps, analyses, uploads } = memoryDeps({ vision });
    const racing = Array.from({ length: 5 }, (_, i) => analyzeUpload(deps, { bytes: coffee, caller: { ...caller, fingerprint: `fp-${i}` } }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const outcomes = await Promise.all(racing);
    expect(vision.calls).toBe(1);
    expect([analyses.analyses.size, uploads.uploads.size]).toEqual([1, 5]);
    expect(outcomes.filter((o) => o.cached)).toHaveLength(0);
    expect(new Set(outcomes.map((o) => o.upload.id)).size).toBe(5);
    expect(outcomes.map((o) => o.upload.owner).sort()).toEqual(["fp:fp-0", "fp:fp-1", "fp:fp-2", "fp:fp-3", "fp:fp-4"]);
    // Every answer, the waiters' included, says where its caller stands (RateLimit-* headers).
    expect(outcomes.every((o) => o.rateLimit !== undefined)).toBe(true);
  });

  it("lets one caller's racing uploads of one photo make one analysis and one upload: the waiters are answered from it", async () => {
    let release!: () => void;
    const vision = new ScriptedVision();
    vision.gate = new Promise<void>((resolve) => (release = resolve));
    const { deps, uploads } = memoryDeps({ vision });
    const racing = Array.from({ length: 4 }, () => analyzeUpload(deps, { bytes: coffee, caller }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const outcomes = await Promise.all(racing);
    expect(uploads.uploads.size).toBe(1);
    expect(outcomes.filter((o) => o.cached)).toHaveLength(3);
    expect(new Set(outcomes.map((o) => o.upload.id)).size).toBe(1);
    expect([...uploads.uploads.values()][0]!.timesUsed).toBe(3);
  });

  it("points waiters at the analysis only once the holder's own upload is written: a caller's racing repeat is answered from it, however slow that write", async () => {
    const { deps, analyses, uploads, vision } = memoryDeps();
    let releaseWrite!: () => void;
    const writeGate = new Promise<void>((resolve) => (releaseWrite = resolve));
    const create = uploads.create.bind(uploads);
    let first = true;
    uploads.create = async (upload) => {
      if (first) {
        first = false;
        await writeGate; // the holder's upload write is slow; its analysis is already committed
      }
      return create(upload);
    };
    const racing = [analyzeUpload(deps, { bytes: coffee, caller }), analyzeUpload(deps, { bytes: coffee, caller })];
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    // Hold the holder's upload write until its analysis is committed and the waiter has polled the claim a while.
    while (analyses.analyses.size === 0 || first) await tick();
    for (let i = 0; i < 10; i++) await tick();
    releaseWrite();
    const outcomes = await Promise.all(racing);
    expect(vision.calls).toBe(1);
    expect(uploads.uploads.size).toBe(1);
    expect(outcomes.map((o) => o.cached).sort()).toEqual([false, true]);
    expect(outcomes[0]!.upload.id).toBe(outcomes[1]!.upload.id);
  });

  it("never gives a caller a second upload while a holder past its deadline is still writing theirs (a local queue's timed-out delivery beside its redelivery)", async () => {
    const clock = memoryClock();
    const { deps, uploads } = memoryDeps({ clock });
    let releaseWrite!: () => void;
    const writeGate = new Promise<void>((resolve) => (releaseWrite = resolve));
    const create = uploads.create.bind(uploads);
    let first = true;
    uploads.create = async (upload) => {
      if (first) {
        first = false;
        await writeGate;
      }
      return create(upload);
    };
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    const ghost = analyzeUpload(deps, { bytes: coffee, caller, deadline: new Date(clock.now().getTime() + 5_000) });
    while (first) await tick();
    clock.advance(10_000); // the first delivery is past its deadline, still about to write its upload
    const redelivery = analyzeUpload(deps, { bytes: coffee, caller, deadline: new Date(clock.now().getTime() + 5_000) });
    for (let i = 0; i < 5; i++) await tick();
    releaseWrite();
    const outcomes = await Promise.all([ghost, redelivery]);
    expect(uploads.uploads.size).toBe(1);
    expect(outcomes[1]).toMatchObject({ cached: true, upload: { id: outcomes[0].upload.id } });
  });

  it("takes over a crashed holder's claim once its lease has run out", async () => {
    const clock = memoryClock();
    const { deps, claims, vision } = memoryDeps({ clock });
    const key = (await import("node:crypto")).createHash("md5").update(coffee).digest("hex");
    await claims.acquire(key, "crashed-request", clock.now().getTime() + 5_000, clock.now().getTime());
    const outcome = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(outcome.cached).toBe(false);
    expect(vision.calls).toBe(1);
    expect(claims.claims.get(key)).toMatchObject({ recordId: outcome.analysis.id });
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
    captureLogs(); // this path logs on purpose
    const { deps } = memoryDeps({ settings: { PHOTO_ANALYSIS_IMAGE_TTL_HOURS: "2000" } });
    const capped = { ...deps, maxImageTtlHours: 720 };
    const outcome = await analyzeUpload(capped, { bytes: coffee, caller });
    expect(Date.parse(outcome.upload.expiresAt!) - Date.parse(outcome.upload.createdAt)).toBe(720 * 3_600_000);
    expect((await deps.analyses.get(outcome.analysis.id))?.expiresAt).toBe(outcome.upload.expiresAt);
    const uncapped = await analyzeUpload(deps, { bytes: photoA!, caller: { ...caller, fingerprint: "fp-2" } });
    expect(Date.parse(uncapped.upload.expiresAt!) - Date.parse(uncapped.upload.createdAt)).toBe(2000 * 3_600_000);
  });
});

describe("custom prompts: context and language", () => {
  it("reuses an analysis only for the same style, context and language, and hands them to the provider", async () => {
    const seen: VisionInput[] = [];
    const vision = new ScriptedVision();
    const analyze = vision.analyze.bind(vision);
    vision.analyze = async (input) => {
      seen.push(input);
      return analyze(input);
    };
    const { deps, analyses } = memoryDeps({ vision });
    const hiking = await analyzeUpload(deps, { bytes: coffee, caller, context: "names for my hiking club" });
    expect(hiking).toMatchObject({ cached: false, upload: { context: "names for my hiking club", language: "en", style: null } });
    // The shared analysis matches the context by a hash of it and keeps no copy of the caller's text.
    expect(JSON.stringify(hiking.analysis)).not.toContain("hiking");
    expect((await analyzeUpload(deps, { bytes: coffee, caller, context: "names for my hiking club" })).cached).toBe(true);
    expect((await analyzeUpload(deps, { bytes: coffee, caller })).cached).toBe(false);
    expect((await analyzeUpload(deps, { bytes: coffee, caller, context: "a room for our office book swap" })).cached).toBe(false);
    const spanish = await analyzeUpload(deps, { bytes: coffee, caller, context: "names for my hiking club", language: "es" });
    expect(spanish).toMatchObject({ cached: false, upload: { language: "es" }, analysis: { language: "es" } });
    expect((await analyzeUpload(deps, { bytes: coffee, caller, context: "names for my hiking club", language: "es" })).upload.id).toBe(spanish.upload.id);
    expect(analyses.analyses.size).toBe(4);
    expect(seen.map((input) => [input.context, input.language])).toEqual([
      ["names for my hiking club", "en"],
      [undefined, "en"],
      ["a room for our office book swap", "en"],
      ["names for my hiking club", "es"],
    ]);
  });

  it("answers 422 for a language an English-only provider cannot write, before any unit is charged or anything stored", async () => {
    const englishOnly = Object.assign(new ScriptedVision(), { englishOnly: true });
    const { deps, analyses, counters, images } = memoryDeps({ vision: englishOnly });
    const refusal = await analyzeUpload(deps, { bytes: coffee, caller, language: "es" }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(UnprocessableInputError);
    expect(refusal).toMatchObject({
      status: 422,
      subject: "language",
      message: "The local vision provider writes English names only; configure a cloud provider for 'es'.",
    });
    expect([englishOnly.calls, analyses.analyses.size, images.objects.size, counters.total("fp:fp-unit")]).toEqual([0, 0, 0, 0]);
    expect((await analyzeUpload(deps, { bytes: coffee, caller, language: "en-GB" })).upload.language).toBe("en-GB");
  });

  it("skips an English-only fallback for another language: the cloud provider's failure is the answer", async () => {
    const cloud = new ScriptedVision([providerFailure("cloud down")], "cloud");
    const local = Object.assign(new ScriptedVision([], "local"), { englishOnly: true });
    const chain = new FallbackVisionProvider([cloud, local]);
    expect(chain.englishOnly).toBe(false);
    const { deps } = memoryDeps({ vision: chain });
    await expect(analyzeUpload(deps, { bytes: coffee, caller, language: "fr" })).rejects.toThrow("cloud down");
    expect(local.calls).toBe(0);
  });
});

describe("prompt fields from a request", () => {
  it("validates context and language as the seed validates fields, and normalises them", () => {
    const parse = (fields: Record<string, unknown>) => {
      const errors: Record<string, string[]> = {};
      return { ...parsePromptFields((name) => fields[name], errors), errors };
    };
    expect(parse({ context: "  names for\nmy  hiking club ", language: "PT-br" })).toEqual({
      style: undefined,
      context: "names for my hiking club",
      language: "pt-BR",
      errors: {},
    });
    expect(parse({ context: "", language: "" })).toEqual({ style: undefined, context: undefined, language: undefined, errors: {} });
    expect(parse({ context: "x".repeat(201) }).errors).toEqual({ context: ["Ensure this field has no more than 200 characters."] });
    expect(parse({ context: "x".repeat(200) }).errors).toEqual({});
    expect(parse({ context: 42 }).errors).toEqual({ context: ["Not a valid string."] });
    for (const bad of ["english", "e", "zz", "es_ES", "en--US", "123", "<script>", 7]) {
      expect(parse({ language: bad }).errors, String(bad)).toEqual({
        language: [`"${String(bad)}" is not a valid BCP 47 language tag (for example en, es, pt-BR).`],
      });
    }
    expect(parse({ language: "zh-Hant-TW" }).language).toBe("zh-Hant-TW");
  });
});
