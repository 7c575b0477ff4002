import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUploadHandler } from "../../functions/upload/handler.js";
import { createUploadUrlHandler } from "../../functions/upload-url/handler.js";
import { budgetRules } from "../../shared/usecases/meter.js";
import type { HttpResult } from "../../functions/http.js";
import { DynamoCounterStore } from "../../shared/ratelimit/dynamo-counter-store.js";
import { SlidingWindowRateLimiter } from "../../shared/ratelimit/rate-limiter.js";
import { createDocumentClient } from "../../shared/runtime/aws-clients.js";
import { httpEvent, parseJson, uploadEvent } from "../helpers/events.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { distinctImages } from "../helpers/photos.js";
import { manualClock, startTestStack, type TestStack } from "../helpers/stack.js";
import { captureLogs } from "../helpers/console.js";

let stack: TestStack;
let fake: FakeOpenAI;
let images: Buffer[];

beforeAll(async () => {
  stack = await startTestStack();
  fake = await new FakeOpenAI().start();
  images = await distinctImages(60);
});
afterAll(async () => {
  await fake.close();
  await stack.close();
});

async function uploader(env: NodeJS.ProcessEnv = {}) {
  const clock = manualClock(new Date("2026-03-01T10:20:00.000Z"));
  const deps = await stack.deps(
    { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0", ...env },
    { now: clock.now },
  );
  const handler = createUploadHandler(() => deps);
  const upload = async (image: Buffer, options: Parameters<typeof uploadEvent>[1] = {}) =>
    (await handler(uploadEvent(image, options), {} as never)) as HttpResult;
  const uploadUrl = createUploadUrlHandler(() => deps);
  const ticket = async (fingerprint: string, sourceIp: string) =>
    (await uploadUrl(
      httpEvent({
        method: "POST",
        path: "/api/photo-analysis/upload-url/",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ fingerprint }),
        sourceIp,
      }),
      {} as never,
    )) as HttpResult;
  /** Units of a budget the caller has spent this hour (a refused peek's `used` counts the request it imagines). */
  const spent = async (fingerprint: string, budget: Parameters<typeof budgetRules>[2], ipAddress = "127.0.0.1") => {
    const settings = await deps.settings();
    const standing = await deps.rateLimiter.peek(
      budgetRules({ userId: null, username: null, fingerprint, ipAddress }, settings, budget).slice(0, 1),
      clock.now(),
    );
    return standing.allowed ? standing.limit - standing.remaining : standing.used - 1;
  };
  return { upload, ticket, spent, clock, deps };
}

const statuses = (results: HttpResult[]) => results.map((result) => result.statusCode);
const count = (results: HttpResult[], status: number) => results.filter((result) => result.statusCode === status).length;

describe("rate limiting through the upload handler", () => {
  it("admits exactly the limit under 50 parallel requests", async () => {
    fake.behaviors = [{ kind: "suggestions" }];
    const { upload } = await uploader();
    const results = await Promise.all(images.slice(0, 50).map((image) => upload(image, { fingerprint: "fp-burst" })));
    expect(count(results, 201)).toBe(5);
    expect(count(results, 429)).toBe(45);
  });

  it("answers 429 with the seed's body and the rate-limit headers", async () => {
    const { upload } = await uploader({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "2" });
    const ok = await upload(images[0]!, { fingerprint: "fp-429" });
    expect(ok.headers).toMatchObject({ "ratelimit-limit": "2", "ratelimit-remaining": "1" });
    expect(Number(ok.headers!["ratelimit-reset"])).toBe(40 * 60);
    await upload(images[1]!, { fingerprint: "fp-429" });
    const limited = await upload(images[2]!, { fingerprint: "fp-429" });
    expect(limited.statusCode).toBe(429);
    const body = parseJson(limited);
    expect(body).toEqual({
      error: "Rate limit exceeded",
      detail: "You have made 3 requests in the last hour. Limit: 2/hour.",
      retry_after: expect.any(Number),
    });
    expect(body.retry_after).toBeGreaterThan(0);
    expect(limited.headers).toMatchObject({ "retry-after": String(body.retry_after), "ratelimit-limit": "2", "ratelimit-remaining": "0" });
  });

  it("stops fingerprint rotation from one IP at the IP allowance", async () => {
    const { upload } = await uploader({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "2", PHOTO_ANALYSIS_RATE_LIMIT_IP_MULTIPLIER: "3" });
    const results: HttpResult[] = [];
    for (let i = 0; i < 10; i++) results.push(await upload(images[i]!, { fingerprint: `rotating-${i}`, sourceIp: "203.0.113.50" }));
    expect(count(results, 201)).toBe(6);
    // Another address is unaffected.
    expect((await upload(images[20]!, { fingerprint: "rotating-x", sourceIp: "203.0.113.51" })).statusCode).toBe(201);
  });

  it("limits by user before fingerprint, fingerprint before IP", async () => {
    const { upload } = await uploader({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1", PHOTO_ANALYSIS_RATE_LIMIT_AUTHENTICATED: "3" });
    const claims = { sub: "user-42" };
    const signedIn = [];
    for (let i = 0; i < 4; i++) signedIn.push(await upload(images[30 + i]!, { fingerprint: "shared-fp", claims }));
    expect(statuses(signedIn)).toEqual([201, 201, 201, 429]);
    // The user's uploads did not spend the anonymous fingerprint's quota.
    expect((await upload(images[40]!, { fingerprint: "shared-fp" })).statusCode).toBe(201);
    expect((await upload(images[41]!, { fingerprint: "shared-fp" })).statusCode).toBe(429);
    // Without a fingerprint the IP is the identity.
    expect((await upload(images[42]!, { sourceIp: "192.0.2.9" })).statusCode).toBe(201);
    expect((await upload(images[43]!, { sourceIp: "192.0.2.9" })).statusCode).toBe(429);
  });

  it("does nothing when disabled", async () => {
    const { upload } = await uploader({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1", PHOTO_ANALYSIS_ENABLE_RATE_LIMITING: "false" });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await upload(images[i]!, { fingerprint: "fp-off" }));
    expect(statuses(results)).toEqual([201, 201, 201]);
    expect(results[0]!.headers?.["ratelimit-limit"]).toBeUndefined();
  });

  it("gives the unit back when the vision call fails", async () => {
    captureLogs(); // this path logs on purpose
    const { upload } = await uploader({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1" });
    fake.behaviors = [{ kind: "status", status: 500 }, { kind: "suggestions" }];
    expect((await upload(images[50]!, { fingerprint: "fp-refund" })).statusCode).toBe(500);
    expect((await upload(images[50]!, { fingerprint: "fp-refund" })).statusCode).toBe(201);
    expect((await upload(images[51]!, { fingerprint: "fp-refund" })).statusCode).toBe(429);
  });
});

describe("charging what was billed (a counting OpenAI-compatible provider on loopback)", () => {
  it("keeps the unit of every reply that arrived unusable: provider calls never exceed the analyses charged, and the same photo is not billed again at once", async () => {
    captureLogs(); // failed analyses log on purpose
    const { upload, spent } = await uploader({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "5" });
    fake.behaviors = [{ kind: "content", content: "Sure! Here are some names: visit https://example.com" }];
    const before = fake.callCount;
    const results: HttpResult[] = [];
    for (const image of images.slice(10, 20)) results.push(await upload(image, { fingerprint: "fp-billed" }));
    expect(statuses(results)).toEqual([500, 500, 500, 500, 500, 429, 429, 429, 429, 429]);
    const calls = fake.callCount - before;
    expect(calls).toBe(5);
    expect(calls).toBeLessThanOrEqual(await spent("fp-billed", "analyses"));
    // Remembered: the same bytes again (anyone's) are answered with the failure, with no provider call and no unit.
    const again = await upload(images[10]!, { fingerprint: "fp-billed-2" });
    expect(again.statusCode).toBe(500);
    expect(parseJson(again)).toMatchObject({
      error: "Photo analysis failed",
      detail: expect.stringMatching(/failed moments ago .*not analysed again for another \d+ s/),
    });
    expect([fake.callCount - before, await spent("fp-billed-2", "analyses")]).toEqual([5, 0]);
    fake.behaviors = [{ kind: "suggestions" }];
  });
});

describe("upload-URL tickets", () => {
  it("are counted per IP as well as per fingerprint: rotating fingerprints from one address gets the documented bound (2 per analysis unit of the address)", async () => {
    const { ticket } = await uploader({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1", PHOTO_ANALYSIS_RATE_LIMIT_IP_MULTIPLIER: "3" });
    const results: HttpResult[] = [];
    for (let i = 0; i < 15; i++) results.push(await ticket(`ticket-rotating-${i}`, "203.0.113.77"));
    // 1 unit × 3 (the address) × 2 tickets per unit.
    expect(count(results, 201)).toBe(6);
    expect(count(results, 429)).toBe(9);
    // Per fingerprint: 2 on a fresh address.
    expect(
      statuses([await ticket("ticket-one", "203.0.113.78"), await ticket("ticket-one", "203.0.113.78"), await ticket("ticket-one", "203.0.113.78")]),
    ).toEqual([201, 201, 429]);
  });
});

describe("sliding window across the hour boundary", () => {
  it("does not allow a burst of 2L across the boundary and recovers as the old window decays", async () => {
    const deps = await stack.deps();
    const limiter = new SlidingWindowRateLimiter(new DynamoCounterStore(createDocumentClient(deps.runtime), deps.runtime.tableName));
    const rules = [{ key: "fp:boundary", limit: 5 }];
    const at = (iso: string) => new Date(iso);
    for (let i = 0; i < 5; i++) expect((await limiter.acquire(rules, at("2026-03-01T10:59:00Z"))).allowed).toBe(true);
    expect((await limiter.acquire(rules, at("2026-03-01T10:59:30Z"))).allowed).toBe(false);
    // A fixed window would reset here and admit 5 more.
    const justAfter = await limiter.acquire(rules, at("2026-03-01T11:00:01Z"));
    expect(justAfter.allowed).toBe(false);
    if (!justAfter.allowed) expect(justAfter.retryAfterSeconds).toBeGreaterThan(600);
    // Half-way through, half of the previous window still counts: 5 - 2.5 leaves room for 2.
    const halfway = [];
    for (let i = 0; i < 3; i++) halfway.push((await limiter.acquire(rules, at("2026-03-01T11:30:00Z"))).allowed);
    expect(halfway).toEqual([true, true, false]);
    // At 12:59:59 nothing of 10:xx counts; the 2 from 11:xx still weigh 2 × 1/3600, so 4 (not 5) fit.
    const later = [];
    for (let i = 0; i < 5; i++) later.push((await limiter.acquire(rules, at("2026-03-01T12:59:59Z"))).allowed);
    expect(later).toEqual([true, true, true, true, false]);
  });

  it("estimates retry_after as the time until a request would be admitted", async () => {
    const deps = await stack.deps();
    const limiter = new SlidingWindowRateLimiter(new DynamoCounterStore(createDocumentClient(deps.runtime), deps.runtime.tableName));
    const rules = [{ key: "fp:retry", limit: 2 }];
    await limiter.acquire(rules, new Date("2026-03-01T10:00:00Z"));
    await limiter.acquire(rules, new Date("2026-03-01T10:00:00Z"));
    const refused = await limiter.acquire(rules, new Date("2026-03-01T10:15:00Z"));
    expect(refused.allowed).toBe(false);
    if (refused.allowed) return;
    // Next window starts in 45 min; the 2 carried over drop to 1 half-way through it: 45 + 30 min.
    expect(refused.retryAfterSeconds).toBe(75 * 60);
    const admittedThen = await limiter.acquire(rules, new Date(Date.parse("2026-03-01T10:15:00Z") + refused.retryAfterSeconds * 1000));
    expect(admittedThen.allowed).toBe(true);
  });
});
