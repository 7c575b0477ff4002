import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseSettings } from "../../shared/config/settings.js";
import { AnalysisFailedError, UnprocessableInputError } from "../../shared/domain/errors.js";
import { md5Hex } from "../../shared/image/hash.js";
import { BLOCKED_MESSAGE, decide } from "../../shared/moderation/moderation.js";
import { createModeratorSelector } from "../../shared/moderation/select.js";
import type { Caller } from "../../shared/domain/types.js";
import { submitJobs } from "../../shared/usecases/jobs.js";
import { runJob } from "../../shared/usecases/run-job.js";
import { analyzeUpload } from "../../shared/usecases/upload.js";
import { jobFailureOf } from "../../functions/worker/handler.js";
import { memoryDeps } from "../doubles/memory.js";
import { distinctImages } from "../helpers/photos.js";

/** Content moderation in the upload, on memory doubles: policy, refusal, the MD5 blocklist, flags, text screening. */

const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
const caller: Caller = { userId: null, username: null, fingerprint: "fp-mod", ipAddress: "198.51.100.9" };
const explicit = { labels: [{ label: "Porn", score: 0.95 }], explicit: 0.95, suggestive: 0.02 };
const suggestive = { labels: [{ label: "Sexy", score: 0.7 }], explicit: 0.1, suggestive: 0.7 };

describe("the policy", () => {
  it("blocks explicit content over the block threshold, flags what is over the flag threshold, and can only flag or be off", () => {
    const block = parseSettings({});
    expect(decide(explicit, block)).toBe("block");
    expect(decide(suggestive, block)).toBe("flag");
    expect(decide({ labels: [], explicit: 0.6, suggestive: 0 }, block)).toBe("flag");
    expect(decide({ labels: [], explicit: 0.49, suggestive: 0.49 }, block)).toBe("allow");
    expect(decide(explicit, parseSettings({ PHOTO_ANALYSIS_MODERATION: "flag" }))).toBe("flag");
    expect(decide(explicit, parseSettings({ PHOTO_ANALYSIS_MODERATION: "off" }))).toBe("allow");
    expect(decide({ labels: [], explicit: 0.3, suggestive: 0 }, parseSettings({ PHOTO_ANALYSIS_MODERATION_BLOCK_THRESHOLD: "0.25" }))).toBe("block");
    expect(() => parseSettings({ PHOTO_ANALYSIS_MODERATION: "maybe" })).toThrow();
  });

  it("picks Rekognition in AWS, OpenAI's moderation when OpenAI analyses, the local model otherwise, and what is asked for", async () => {
    const select = (inAws: boolean, key?: string) =>
      createModeratorSelector({ secrets: async (name) => (name === "OPENAI_API_KEY" ? key : undefined), inAws, region: "us-east-1" });
    expect((await select(false)(parseSettings({}))).name).toBe("local");
    expect((await select(false, "sk-x")(parseSettings({}))).name).toBe("openai");
    expect((await select(false, "sk-x")(parseSettings({ PHOTO_ANALYSIS_VISION_PROVIDER: "local" }))).name).toBe("local");
    expect((await select(true, "sk-x")(parseSettings({}))).name).toBe("rekognition");
    expect((await select(true)(parseSettings({ PHOTO_ANALYSIS_MODERATION_PROVIDER: "local" }))).name).toBe("local");
    await expect(select(false)(parseSettings({ PHOTO_ANALYSIS_MODERATION_PROVIDER: "openai" }))).rejects.toThrow(/needs OPENAI_API_KEY/);
    // Generated names are screened by OpenAI whenever its key is there, whoever moderates the photos.
    expect((await select(true, "sk-x").texts(parseSettings({})))?.name).toBe("openai");
    expect(await select(false).texts(parseSettings({}))).toBeUndefined();
  });
});

describe("moderation in the upload", () => {
  it("refuses an explicit photo with 422 before any vision call or storage, charges a unit, counts it, and remembers its bytes", async () => {
    const { deps, vision, analyses, images, counters, stats, blockedPhotos, moderator } = memoryDeps();
    moderator.scores = explicit;
    const refusal = await analyzeUpload(deps, { bytes: coffee, caller }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(UnprocessableInputError);
    expect(refusal).toMatchObject({ status: 422, subject: "image", message: BLOCKED_MESSAGE });
    expect([vision.calls, analyses.analyses.size, images.objects.size]).toEqual([0, 0, 0]);
    expect(counters.total("fp:fp-mod")).toBe(1);
    expect(stats.events.map((event) => event.event.kind)).toEqual(["moderated"]);
    expect(blockedPhotos.blocked.has(md5Hex(coffee))).toBe(true);

    // The same bytes again: refused without running the model, charged again.
    moderator.scores = { labels: [], explicit: 0, suggestive: 0 };
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow(BLOCKED_MESSAGE);
    expect(moderator.calls).toBe(1);
    expect(counters.total("fp:fp-mod")).toBe(2);
  });

  it("never answers a blocked photo from the cache: not by its bytes, not as a near-duplicate of an allowed one", async () => {
    const { deps, vision, moderator, blockedPhotos } = memoryDeps();
    const allowed = await analyzeUpload(deps, { bytes: coffee, caller });
    expect(allowed.cached).toBe(false);
    // Blocked later (a stricter policy): the stored analysis of these bytes is not served.
    await blockedPhotos.remember(md5Hex(coffee), { decision: "block", labels: [], provider: "scripted" });
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow(BLOCKED_MESSAGE);
    // A re-encoded copy (a near-duplicate) that the moderator blocks is refused, not matched to the stored analysis.
    const copy = await (await import("sharp")).default(coffee).jpeg({ quality: 70 }).toBuffer();
    moderator.scores = explicit;
    await expect(analyzeUpload(deps, { bytes: copy, caller })).rejects.toThrow(BLOCKED_MESSAGE);
    expect(vision.calls).toBe(1);
  });

  it("analyses a flagged photo as usual and keeps moderation's labels on the analysis (the upload is marked flagged); off skips the model", async () => {
    const { deps, moderator } = memoryDeps();
    moderator.scores = suggestive;
    const flagged = await analyzeUpload(deps, { bytes: coffee, caller });
    expect((await deps.analyses.get(flagged.analysis.id))?.moderation).toEqual({ decision: "flag", labels: suggestive.labels, provider: "scripted" });
    expect(flagged.upload.flagged).toBe(true);
    const [other] = await distinctImages(1, 31);
    moderator.scores = { labels: [], explicit: 0, suggestive: 0 };
    expect((await deps.analyses.get((await analyzeUpload(deps, { bytes: other!, caller })).analysis.id))?.moderation).toBeUndefined();

    const off = memoryDeps({ settings: { PHOTO_ANALYSIS_MODERATION: "off" } });
    off.moderator.scores = explicit;
    expect((await analyzeUpload(off.deps, { bytes: coffee, caller })).cached).toBe(false);
    expect(off.moderator.calls).toBe(0);
  });

  it("fails closed when the moderator cannot answer, and fails the analysis when a generated name is rejected", async () => {
    const { deps, moderator, analyses } = memoryDeps();
    moderator.moderateImage = async () => {
      throw new Error("connect ECONNREFUSED");
    };
    await expect(analyzeUpload(deps, { bytes: coffee, caller })).rejects.toThrow(/Content moderation failed: connect ECONNREFUSED/);

    const screened = memoryDeps();
    const textModerator = {
      name: "text",
      moderateImage: async () => ({ labels: [], explicit: 0, suggestive: 0 }),
      moderateTexts: async (texts: string[]) => texts.map((text) => text.startsWith("Brew Crew")),
    };
    screened.deps.textModerator = async () => textModerator;
    const failure = await analyzeUpload(screened.deps, { bytes: coffee, caller }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AnalysisFailedError);
    expect((failure as AnalysisFailedError).detail).toBe("Vision provider returned 9 usable suggestions; 10 are required (1 rejected by moderation)");
    expect([analyses.analyses.size, screened.analyses.analyses.size]).toEqual([0, 0]);
  });

  it("fails an async job with the upload's 422 body", async () => {
    const { deps, moderator, jobs } = memoryDeps();
    moderator.scores = explicit;
    const {
      jobs: [job],
    } = await submitJobs(deps, { caller, photos: [{ bytes: coffee }], batch: false });
    await runJob(deps, job!.id, { failureOf: (error) => jobFailureOf(error, job!.id, false) });
    expect(jobs.jobs.get(job!.id)).toMatchObject({ stage: "failed", error: { status: 422, body: { image: [BLOCKED_MESSAGE], request_id: job!.id } } });
  });
});
