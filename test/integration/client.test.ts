import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  DetailedError,
  FieldError,
  jobError,
  PhotoAnalysisClient,
  type ProgressUpdate,
  RateLimitError,
  type WebSocketConstructor,
} from "photo-analysis/client";
import type { LocalService } from "../../local/service.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { startScratchService } from "../helpers/local-service.js";
import { distinctImages } from "../helpers/photos.js";

/**
 * The first-party client (`photo-analysis/client`, the built module) in Node against `npm start`'s
 * service: real HTTP, the real events WebSocket (the `ws` package's client, as Node 20 has no global
 * one), and the polling fallback.
 */
const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
const photo = (bytes: Buffer, name: string, type = "image/jpeg") => new File([new Uint8Array(bytes)], name, { type });

let fake: FakeOpenAI;
let service: LocalService;

beforeAll(async () => {
  fake = await new FakeOpenAI().start();
  service = await startScratchService({
    env: {
      OPENAI_API_KEY: "sk-client",
      OPENAI_BASE_URL: fake.baseUrl,
      PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "3",
      PHOTO_ANALYSIS_RATE_LIMIT_IP_MULTIPLIER: "100",
    },
  });
}, 60_000);
afterAll(async () => {
  await service?.close();
  await fake?.close();
});

describe("the client against npm start's service", () => {
  it("analyses a photo (201, then the cached 200), reads it back, lists it and steers it with style, context and language", async () => {
    const client = new PhotoAnalysisClient({ baseUrl: service.url, fingerprint: "client-node-1" });
    const created = await client.analyze(photo(coffee, "coffee.jpg"), { style: "cozy", context: "names for my coffee club", language: "es" });
    expect(created.cached).toBe(false);
    expect(created.analysis.suggestions).toHaveLength(10);
    expect(created.analysis).toMatchObject({ style: "cozy", context: "names for my coffee club", language: "es" });
    const again = await client.analyze(photo(coffee, "coffee.jpg"), { style: "cozy", context: "names for my coffee club", language: "es" });
    expect(again).toMatchObject({ cached: true, match: "exact", analysis: { id: created.analysis.id } });
    const read = await client.get(created.analysis.id);
    expect(read.suggestions).toEqual(created.analysis.suggestions);
    expect((await client.recent({ limit: 5 })).map((item) => item.id)).toEqual([created.analysis.id]);
    expect((await fetch(client.imageUrl(created.analysis.id))).status).toBe(200);
  });

  it("sends photos over the direct limit through the presigned flow", async () => {
    // Noise does not compress: a 1200x1200 PNG of it is over 4 MB.
    const pixels = Buffer.alloc(1200 * 1200 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
    const large = await sharp(pixels, { raw: { width: 1200, height: 1200, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(large.length).toBeGreaterThan(4 * 1024 * 1024);
    const client = new PhotoAnalysisClient({ baseUrl: service.url, fingerprint: "client-node-large" });
    const answer = await client.analyze(photo(large, "large.png", "image/png"));
    expect(answer.cached).toBe(false);
    expect(answer.analysis.file_size).toBe(large.length);
  });

  it("throws typed errors carrying the seed's bodies: field errors, not found, rate limited", async () => {
    const client = new PhotoAnalysisClient({ baseUrl: service.url, fingerprint: "client-node-errors" });
    const refused = await client.analyze(photo(Buffer.from("not a photo at all"), "notes.txt", "text/plain")).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FieldError);
    const fieldError = refused as FieldError;
    expect(fieldError.status).toBe(400);
    expect(fieldError.fields).toEqual({ image: ["Unsupported image format. Upload a JPEG, PNG, WebP, GIF, HEIC or AVIF image."] });
    expect(fieldError.body.request_id).toBe(fieldError.requestId);
    expect(fieldError.message).toBe("Unsupported image format. Upload a JPEG, PNG, WebP, GIF, HEIC or AVIF image.");

    const missing = await client.get("00000000-0000-4000-8000-000000000000").catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(DetailedError);
    expect((missing as DetailedError).status).toBe(404);
    expect((missing as DetailedError).body.detail).toBe("Not found.");

    // Three fresh analyses an hour for this fingerprint (set above): the fourth is refused.
    const photos = await distinctImages(4, 26);
    for (const [index, bytes] of photos.slice(0, 3).entries()) await client.analyze(photo(bytes, `noise-${index}.png`, "image/png"));
    const limited = await client.analyze(photo(photos[3]!, "noise-3.png", "image/png")).catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).status).toBe(429);
    expect((limited as RateLimitError).retryAfter).toBeGreaterThan(0);
    expect((limited as RateLimitError).body).toMatchObject({ error: "Rate limit exceeded", retry_after: (limited as RateLimitError).retryAfter });
    // npm start says how to lift the limit on your own machine.
    expect((limited as RateLimitError).body.detail).toMatch(
      /^You have made \d+ requests in the last hour\. Limit: 3\/hour\. Running it yourself\? Start it with PHOTO_ANALYSIS_ENABLE_RATE_LIMITING=false to switch the limit off\.$/,
    );
  });

  it("follows a batch live over the WebSocket: every photo's stages in order, names for the photos and a typed error for the file that is not one", async () => {
    const client = new PhotoAnalysisClient({ baseUrl: service.url, fingerprint: "client-node-batch", WebSocket: WebSocket as unknown as WebSocketConstructor });
    const [first, second] = await distinctImages(2, 2601);
    const updates: ProgressUpdate[] = [];
    const batch = await client.batch(
      [
        photo(first!, "a.png", "image/png"),
        photo(Buffer.from("plain text, not a photo of anything"), "b.txt", "text/plain"),
        photo(second!, "c.png", "image/png"),
      ],
      {
        onProgress: (update) => updates.push(update),
      },
    );
    expect(batch.status).toBe("done");
    expect(batch.items.map((item) => item.status)).toEqual(["done", "failed", "done"]);
    for (const index of [0, 2]) {
      const stages = updates.filter((update) => update.index === index).map((update) => update.stage);
      expect(stages.at(-1)).toBe("done");
      // Live: stages between the first one seen and done arrive too, each once, in order.
      expect(stages.length).toBeGreaterThan(1);
      expect(new Set(stages).size).toBe(stages.length);
      expect(updates.find((update) => update.index === index && update.stage === "done")?.analysis?.suggestions).toHaveLength(10);
    }
    const failed = jobError(batch.items[1]!);
    expect(failed).toBeInstanceOf(FieldError);
    expect((failed as FieldError).fields.image?.[0]).toMatch(/Unsupported image format/);
    expect(updates.filter((update) => update.index === 1).at(-1)?.stage).toBe("failed");
  });

  it("falls back to polling when there is no WebSocket, or it cannot connect", async () => {
    const [first, second] = await distinctImages(2, 2602);
    /** A WebSocket that fails as a blocked or unreachable one does. */
    class Unreachable {
      onopen = null;
      onmessage = null;
      onclose = null;
      onerror: ((event: unknown) => void) | null = null;
      constructor() {
        setTimeout(() => this.onerror?.({}), 5);
      }
      send() {}
      close() {}
    }
    for (const [name, WebSocketClass, bytes] of [
      ["none", null, first!],
      ["unreachable", Unreachable, second!],
    ] as const) {
      const client = new PhotoAnalysisClient({ baseUrl: service.url, fingerprint: `client-node-poll-${name}`, WebSocket: WebSocketClass, pollIntervalMs: 50 });
      const updates: ProgressUpdate[] = [];
      const batch = await client.batch([photo(bytes, "a.png", "image/png")], { onProgress: (update) => updates.push(update) });
      expect(batch.items[0]?.status, name).toBe("done");
      expect(updates.at(-1)?.stage, name).toBe("done");
      expect(updates.at(-1)?.analysis?.suggestions, name).toHaveLength(10);
    }
  });
});

describe("the client's delete (the API's DELETE of an upload, on a loopback server speaking its contract)", () => {
  let server: Server;
  let url: string;
  const requests: string[] = [];
  const known = "0b8e3c1a-0000-4000-8000-000000000001";

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      const target = new URL(request.url ?? "/", "http://local");
      if (request.method === "DELETE" && target.pathname === `/api/photo-analysis/${known}/` && target.searchParams.get("fingerprint") === "owner") {
        response.writeHead(204, { "x-request-id": "req-204" }).end();
        return;
      }
      response
        .writeHead(404, { "content-type": "application/json", "x-request-id": "req-404" })
        .end(JSON.stringify({ detail: "Not found.", request_id: "req-404" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("deletes the caller's own upload (204) and throws the seed's 404 for anyone else's", async () => {
    await expect(new PhotoAnalysisClient({ baseUrl: url, fingerprint: "owner" }).delete(known)).resolves.toBeUndefined();
    const refused = await new PhotoAnalysisClient({ baseUrl: url, fingerprint: "someone-else" }).delete(known).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DetailedError);
    expect(refused).toMatchObject({ status: 404, requestId: "req-404", body: { detail: "Not found." } });
    expect(requests).toEqual([`DELETE /api/photo-analysis/${known}/?fingerprint=owner`, `DELETE /api/photo-analysis/${known}/?fingerprint=someone-else`]);
  });
});
