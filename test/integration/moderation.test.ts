import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScratchService } from "../helpers/local-service.js";
import type { LocalService } from "../../local/service.js";
import { parseSettings } from "../../shared/config/settings.js";
import { openImage } from "../../shared/image/decode.js";
import { moderationInput } from "../../shared/moderation/input.js";
import { LocalModerator } from "../../shared/moderation/local-moderator.js";
import { InferencePool } from "../../shared/inference/pool.js";
import { BLOCKED_MESSAGE, decide } from "../../shared/moderation/moderation.js";
import { hasSharedFolder } from "../helpers/shared-folder.js";
import { rateLimitRules } from "../../shared/ratelimit/rate-limiter.js";
import { OpenAIModerator } from "../../shared/moderation/openai-moderator.js";
import { RekognitionModerator } from "../../shared/moderation/rekognition-moderator.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { captureLogs } from "../helpers/console.js";

/**
 * The moderators against loopback servers speaking Rekognition's and OpenAI's wire formats, and the
 * whole path on `npm start`'s service: the local model with thresholds lowered on a real photo (no
 * explicit image ships with the project), refusals, flags and the admin's view of them.
 */

const photo = await readFile("fixtures/photos/labrador.webp");
const jpeg = await readFile("fixtures/photos/coffee-mug.jpg");
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

describe("Rekognition DetectModerationLabels (AWS JSON 1.1 on loopback)", () => {
  let labels: object[] = [];
  const requests: { target: string; body: { Image?: { Bytes?: string }; MinConfidence?: number } }[] = [];
  let endpoint: string;
  beforeAll(async () => {
    const server = createServer(async (request, response) => {
      requests.push({ target: String(request.headers["x-amz-target"]), body: JSON.parse(await body(request)) });
      response.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      response.end(JSON.stringify({ ModerationLabels: labels, ModerationModelVersion: "7.0" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  });

  it("sends the photo's bytes and reads explicit and suggestive categories from the labels and their parents", async () => {
    const moderator = new RekognitionModerator(
      new RekognitionClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
    );
    labels = [
      { Name: "Explicit", ParentName: "", Confidence: 96.5, TaxonomyLevel: 1 },
      { Name: "Explicit Sexual Activity", ParentName: "Explicit", Confidence: 91.2, TaxonomyLevel: 2 },
    ];
    const blocked = await moderator.moderateImage({ jpeg: async () => jpeg });
    expect(requests.at(-1)!.target).toBe("RekognitionService.DetectModerationLabels");
    expect(Buffer.from(requests.at(-1)!.body.Image!.Bytes!, "base64").equals(jpeg)).toBe(true);
    expect(blocked).toMatchObject({
      explicit: 0.965,
      suggestive: 0,
      labels: [
        { label: "Explicit", score: 0.965 },
        { label: "Explicit Sexual Activity", score: 0.912 },
      ],
    });

    labels = [{ Name: "Female Swimwear or Underwear", ParentName: "Swimwear or Underwear", Confidence: 88, TaxonomyLevel: 3 }];
    expect(await moderator.moderateImage({ jpeg: async () => jpeg })).toMatchObject({ explicit: 0, suggestive: 0.88 });
    labels = [];
    expect(await moderator.moderateImage({ jpeg: async () => jpeg })).toEqual({ labels: [], explicit: 0, suggestive: 0 });
  });
});

describe("OpenAI moderation (omni-moderation-latest)", () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await new FakeOpenAI().start();
    cleanups.push(() => fake.close());
  });

  it("sends the photo as a data URL and reads the sexual scores; screens texts one result each", async () => {
    const moderator = new OpenAIModerator({ apiKey: "sk-test", baseURL: fake.baseUrl, timeoutMs: 2000 });
    fake.moderationScores = { sexual: 0.93, violence: 0.2 };
    const scores = await moderator.moderateImage({ jpeg: async () => jpeg });
    expect(fake.moderationRequests.at(-1)).toEqual({
      model: "omni-moderation-latest",
      input: [{ type: "image_url", image_url: { url: `data:image/jpeg;base64,${jpeg.toString("base64")}` } }],
    });
    expect(scores).toMatchObject({ explicit: 0.93, suggestive: 0 });
    expect(scores.labels[0]).toEqual({ label: "sexual", score: 0.93 });
    fake.flagText = (text) => text.includes("Hate");
    expect(await moderator.moderateTexts(["Brew Crew: beans", "Hate Club: no", "Bean Scene: roasts"])).toEqual([false, true, false]);
    fake.moderationScores = {};
    fake.flagText = () => false;
  });

  it("on the service with an OpenAI key: an explicit photo is 422, and a rejected generated name fails the analysis", async () => {
    captureLogs(); // this path logs on purpose
    const service = await startScratchService({ env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0" } });
    cleanups.push(() => service.close());
    const upload = (bytes: Buffer, fields: Record<string, string> = {}) => {
      const form = new FormData();
      form.append("image", new Blob([bytes]), "photo.jpg");
      form.append("fingerprint", "fp-openai-moderation");
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      return fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form });
    };
    fake.moderationScores = { sexual: 0.97 };
    const calls = fake.callCount;
    const refused = await upload(jpeg);
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ image: [BLOCKED_MESSAGE] });
    expect(fake.callCount).toBe(calls); // no vision call
    fake.moderationScores = {};
    fake.flagText = (text) => text.startsWith("Daily Grind");
    const rejected = await upload(photo);
    expect(rejected.status).toBe(500);
    expect(await rejected.json()).toMatchObject({
      error: "Photo analysis failed",
      detail: "Vision provider returned 9 usable suggestions; 10 are required (1 rejected by moderation)",
    });
    fake.flagText = () => false;
    // The rejected names were a billed reply: the same photo asked the same way is answered with that failure for a while, with no vision call.
    const visionCalls = fake.callCount;
    const remembered = await upload(photo);
    expect(remembered.status).toBe(500);
    expect(((await remembered.json()) as { detail: string }).detail).toMatch(
      /^This photo's analysis failed moments ago \(Vision provider returned 9 usable suggestions/,
    );
    expect(fake.callCount).toBe(visionCalls);
    expect((await upload(photo, { style: "playful" })).status).toBe(201);
  });

  it("moderates at most the caller's upload budget: a flood of re-encodings of one photo (near-duplicate hits, free of analysis units) is refused once the budget is spent", async () => {
    // 2 analysis units × 2 = 4 photos decoded and moderated per fingerprint per hour.
    const service = await startScratchService({
      env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "2", PHOTO_ANALYSIS_UPLOADS_PER_ANALYSIS: "2" },
    });
    cleanups.push(() => service.close());
    const sharp = (await import("sharp")).default;
    const copies = await Promise.all([95, 90, 85, 80, 75, 70, 65, 60, 55, 50].map((quality) => sharp(photo).jpeg({ quality }).toBuffer()));
    const imageModerations = () => fake.moderationRequests.filter((request) => JSON.stringify(request.input).includes('"image_url"')).length;
    const [moderatedBefore, visionBefore] = [imageModerations(), fake.callCount];
    const statuses: number[] = [];
    for (const copy of copies) {
      const form = new FormData();
      form.append("image", new Blob([copy]), "photo.jpg");
      form.append("fingerprint", "fp-reencoder");
      statuses.push((await fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form })).status);
    }
    expect(statuses).toEqual([201, 200, 200, 200, 429, 429, 429, 429, 429, 429]);
    expect([imageModerations() - moderatedBefore, fake.callCount - visionBefore]).toEqual([4, 1]);
  });
});

describe("the local model's false blocks", () => {
  const dev = "../shared/eval/imagenet-dev";
  const judge = async (file: string) => {
    const image = await openImage(await readFile(file), { maxPixels: 1e8 });
    return decide(await moderator.moderateImage(moderationInput(image)), parseSettings({}));
  };
  const moderator = new LocalModerator();

  it("allows every fixture photo under the default policy", async () => {
    for (const file of ["coffee-mug.jpg", "chelsea-cat.jpg", "labrador.webp", "astronaut.jpg", "motorcycle.png", "cat-portrait.heic"])
      expect(await judge(join("fixtures/photos", file)), file).toBe("allow");
  });

  it("judges in the inference pool's worker threads (as npm start does) exactly as on the calling thread", async () => {
    const pool = new InferencePool({ size: 2 });
    try {
      const pooled = new LocalModerator({ pool });
      const files = ["coffee-mug.jpg", "chelsea-cat.jpg", "labrador.webp", "astronaut.jpg"].map((file) => join("fixtures/photos", file));
      const inputs = await Promise.all(files.map(async (file) => moderationInput(await openImage(await readFile(file), { maxPixels: 1e8 }))));
      const here = [];
      for (const input of inputs) here.push(await moderator.moderateImage(input));
      // Side by side in the two workers, in any order: the same scores.
      expect(await Promise.all(inputs.map((input) => pooled.moderateImage(input)))).toEqual(here);
      expect(here.every((scores) => scores.explicit < 0.5)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it("blocks at most 1 % of the 250 ordinary dev photos (`npm run eval-moderation` prints which)", async (context) => {
    if (!hasSharedFolder(dev, "the dev photos")) return context.skip();
    const files = (await readdir(dev)).filter((name) => /\.jpe?g$/i.test(name));
    const decisions = await Promise.all(files.map((file) => judge(join(dev, file))));
    expect(files.length).toBe(250);
    expect(decisions.filter((decision) => decision === "block").length).toBeLessThanOrEqual(2);
  }, 120_000);
});

describe("the local model on npm start's service (no key)", () => {
  async function service(env: NodeJS.ProcessEnv): Promise<LocalService> {
    const started = await startScratchService({ env: { PHOTO_ANALYSIS_ADMIN_TOKEN: "admin-secret", ...env } });
    cleanups.push(() => started.close());
    return started;
  }
  const upload = (local: LocalService, bytes: Buffer, fingerprint: string) => {
    const form = new FormData();
    form.append("image", new Blob([bytes]), "photo.webp");
    form.append("fingerprint", fingerprint);
    return fetch(`${local.url}/api/photo-analysis/upload/`, { method: "POST", body: form });
  };
  const admin = (local: LocalService, path: string) =>
    fetch(`${local.url}${path}`, { headers: { authorization: "Bearer admin-secret" } }).then((response) => response.json());

  it("blocks a real photo when the block threshold is lowered to 0: 422, nothing stored, charged, counted, refused again by its bytes", async () => {
    const local = await service({ PHOTO_ANALYSIS_MODERATION_BLOCK_THRESHOLD: "0" });
    const refused = await upload(local, photo, "fp-blocked");
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ image: ["This photo can't be analysed: it appears to contain explicit content."] });
    const again = await upload(local, photo, "fp-blocked");
    expect(again.status).toBe(422);
    const stats = (await admin(local, "/api/admin/stats/?days=1")) as { daily: { moderated: number; analyses: number }[] };
    expect(stats.daily.at(-1)).toMatchObject({ moderated: 2, analyses: 0 });
    expect(((await admin(local, "/api/admin/analyses/")) as { results: unknown[] }).results).toEqual([]);
    // Each refusal took a unit of the caller's allowance (5 an hour): refusals cannot be probed for free.
    const settings = await local.deps.settings();
    const standing = await local.deps.rateLimiter.peek(
      rateLimitRules({ userId: null, username: null, fingerprint: "fp-blocked", ipAddress: "127.0.0.1" }, settings),
      new Date(),
    );
    expect(standing.remaining).toBe(3);
  });

  it("flags a real photo when the flag threshold is lowered: analysed, labels on the record, the admin filters and shows it", async () => {
    const local = await service({ PHOTO_ANALYSIS_MODERATION_BLOCK_THRESHOLD: "1", PHOTO_ANALYSIS_MODERATION_FLAG_THRESHOLD: "0" });
    const flagged = await upload(local, photo, "fp-flagged");
    expect(flagged.status).toBe(201);
    const id = ((await flagged.json()) as { analysis: { id: string } }).analysis.id;
    const list = (await admin(local, "/api/admin/analyses/?flagged=true")) as { results: { id: string; flagged: boolean }[] };
    expect(list.results.map((row) => [row.id, row.flagged])).toEqual([[id, true]]);
    expect(((await admin(local, "/api/admin/analyses/?flagged=false")) as { results: unknown[] }).results).toEqual([]);
    const detail = (await admin(local, `/api/admin/analyses/${id}/`)) as { moderation: { decision: string; provider: string; labels: { label: string }[] } };
    expect(detail.moderation).toMatchObject({ decision: "flag", provider: "local" });
    expect(detail.moderation.labels.map((label) => label.label).sort()).toEqual(["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]);
  });
});
