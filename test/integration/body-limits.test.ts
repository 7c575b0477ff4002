import { request as httpRequest } from "node:http";
import Busboy from "@fastify/busboy";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH, nestsDeeperThan, type HttpResult } from "../../functions/http.js";
import type { LocalService } from "../../local/service.js";
import { MAX_FORM_BODY_BYTES, parseMultipart } from "../../functions/multipart.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import { createUploadUrlHandler } from "../../functions/upload-url/handler.js";
import { httpEvent, parseJson } from "../helpers/events.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { startScratchService } from "../helpers/local-service.js";
import { useLocalStack } from "../helpers/stack.js";

/**
 * Bodies built to make the parsers work: JSON too large or nested too deep is refused before
 * JSON.parse sees it, and a multipart body stops being parsed at its first excess. Through the
 * handlers (what Lambda runs) and through `npm start`'s HTTP server, which stops keeping a body as
 * soon as it is too large. Every answer is a 4xx in the seed's shapes, and the process lives.
 */
const suite = useLocalStack();

afterEach(() => {
  vi.restoreAllMocks();
});

const nested = (depth: number) => `{"fingerprint": "fp", "junk": ${"[".repeat(depth)}${"]".repeat(depth)}}`;

async function handlers() {
  const deps = await suite.stack.deps({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: suite.fake.baseUrl });
  const uploadUrl = createUploadUrlHandler(() => deps);
  const upload = createUploadHandler(() => deps);
  return {
    ticket: async (body: string | Buffer) =>
      (await uploadUrl(
        httpEvent({ method: "POST", path: "/api/photo-analysis/upload-url/", headers: { "content-type": "application/json" }, body }),
      )) as HttpResult,
    form: async (contentType: string, body: Buffer) =>
      (await upload(
        httpEvent({ method: "POST", path: "/api/photo-analysis/upload/", headers: { "content-type": contentType }, body }),
        {} as never,
      )) as HttpResult,
  };
}

function fields(count: number, size: number, boundary = "XXb"): Buffer {
  const parts = Array.from({ length: count }, (_, index) => `--${boundary}\r\nContent-Disposition: form-data; name="f${index}"\r\n\r\n${"a".repeat(size)}\r\n`);
  return Buffer.from(`${parts.join("")}--${boundary}--\r\n`);
}

const FORM = "multipart/form-data; boundary=XXb";
const LIMITS = { fileSize: 1024 * 1024, files: 2, fields: 10, fieldSize: 64 * 1024 };

describe("JSON bodies", () => {
  it("refuses a 4 MB deeply nested body with a 413 before decoding or parsing it, as text or base64", async () => {
    const { ticket } = await handlers();
    const parse = vi.spyOn(JSON, "parse");
    const body = nested(2 * 1024 * 1024);
    for (const sent of [body, Buffer.from(body)]) {
      const refused = await ticket(sent);
      expect(refused.statusCode).toBe(413);
      expect(parseJson(refused)).toEqual({ non_field_errors: [`Request body too large: at most ${MAX_JSON_BODY_BYTES / 1024} KB of JSON.`] });
    }
    // Only the test's own parseJson of the two answers ran JSON.parse.
    expect(parse).toHaveBeenCalledTimes(2);
  });

  it("refuses nesting past the limit within the size limit (400) without parsing it, and takes what real clients send", async () => {
    const { ticket } = await handlers();
    const parse = vi.spyOn(JSON, "parse");
    const deep = await ticket(nested(10_000));
    expect(deep.statusCode).toBe(400);
    expect(parseJson(deep)).toEqual({ non_field_errors: [`JSON nested too deeply: at most ${MAX_JSON_DEPTH} levels.`] });
    expect(parse).toHaveBeenCalledTimes(1); // the test's parseJson
    // Brackets and escaped quotes inside strings are text, not nesting.
    const issued = await ticket(JSON.stringify({ fingerprint: `fp-${"[{".repeat(100)}\\"]]]`, content_type: "image/jpeg" }));
    expect(issued.statusCode).toBe(201);
  });

  it("counts nesting exactly as JSON.parse builds it, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 0, max: 12 }), (value, limit) => {
        const depthOf = (node: unknown): number =>
          node !== null && typeof node === "object" ? 1 + Math.max(0, ...Object.values(node as Record<string, unknown>).map(depthOf)) : 0;
        expect(nestsDeeperThan(JSON.stringify(value), limit)).toBe(depthOf(value) > limit);
      }),
      { numRuns: 2_000, seed: 2424 },
    );
  });

  it("answers 400 or 413, never 500, for hostile JSON of any shape", async () => {
    const { ticket } = await handlers();
    const text = fc.oneof(
      fc.json(),
      fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", ",", ":", "1", "a", " "), maxLength: 400 }),
      fc.integer({ min: 1, max: 5_000 }).map((depth) => nested(depth)),
      fc.integer({ min: MAX_JSON_BODY_BYTES - 8, max: MAX_JSON_BODY_BYTES + 8 }).map((size) => `{"fingerprint": "${"x".repeat(size - 20)}"}`),
    );
    await fc.assert(
      fc.asyncProperty(text, async (body) => {
        const answer = await ticket(body);
        expect([201, 400, 413, 429]).toContain(answer.statusCode);
        expect(() => parseJson(answer)).not.toThrow();
      }),
      { numRuns: 200, seed: 77 },
    );
  });
});

describe("multipart bodies", () => {
  function fedBytes() {
    const write = vi.spyOn(Busboy.prototype as unknown as { _write(chunk: Buffer, encoding: string, done: () => void): void }, "_write");
    return () => write.mock.calls.reduce((total, [chunk]) => total + chunk.length, 0);
  }

  it("stops at the first part over the limits, however much follows", async () => {
    const cases: [string, Buffer, Record<string, string[]>][] = [
      ["100,000 tiny fields", fields(100_000, 40), { image: ["Too many fields: at most 10."] }],
      ["100 fields of 60 KB", fields(100, 60_000), { image: ["Too many fields: at most 10."] }],
      ["one 6 MB field", fields(1, 6_000_000), { image: ["A form field is longer than 65536 characters."] }],
      [
        "one 6 MB field of near-boundaries",
        Buffer.from(`--XXb\r\nContent-Disposition: form-data; name="f"\r\n\r\n${"\r\n-".repeat(2_000_000)}\r\n--XXb--\r\n`),
        { image: ["A form field is longer than 65536 characters."] },
      ],
    ];
    for (const [what, body, refusal] of cases) {
      const fed = fedBytes();
      const error = await parseMultipart(body, FORM, LIMITS, "image").catch((caught: { fields?: unknown }) => caught);
      expect(error, what).toMatchObject({ fields: refusal });
      expect(fed(), what).toBeLessThan(1024 * 1024);
      expect(fed(), what).toBeLessThan(body.length / 5);
      vi.restoreAllMocks();
    }
  });

  it("reads several large files in a row (the next file can begin before the previous one's stream has ended)", async () => {
    const part = (index: number) =>
      Buffer.concat([
        Buffer.from(`--XXb\r\nContent-Disposition: form-data; name="image"; filename="${index}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
        Buffer.alloc(900 * 1024, index),
        Buffer.from("\r\n"),
      ]);
    const body = Buffer.concat([
      part(1),
      part(2),
      part(3),
      Buffer.from('--XXb\r\nContent-Disposition: form-data; name="fingerprint"\r\n\r\nfp\r\n--XXb--\r\n'),
    ]);
    const form = await parseMultipart(body, FORM, { ...LIMITS, files: 10 }, "image");
    expect(form.files.get("image")!.map((file) => [file.filename, file.content.length, file.content[0]])).toEqual([
      ["1.jpg", 900 * 1024, 1],
      ["2.jpg", 900 * 1024, 2],
      ["3.jpg", 900 * 1024, 3],
    ]);
    expect(form.fields.get("fingerprint")).toEqual(["fp"]);
  });

  it("refuses a file part past its limit at once, and a field just past its limit on the field's name", async () => {
    const file = Buffer.concat([
      Buffer.from(`--XXb\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      Buffer.alloc(3 * 1024 * 1024, 7),
      Buffer.from("\r\n--XXb--\r\n"),
    ]);
    const fed = fedBytes();
    await expect(parseMultipart(file, FORM, LIMITS, "image")).rejects.toMatchObject({ fields: { image: ["Image file too large."] } });
    expect(fed()).toBeLessThan(LIMITS.fileSize + 256 * 1024);
    await expect(parseMultipart(fields(1, 70_000), FORM, LIMITS, "image")).rejects.toMatchObject({
      fields: { f0: ["Ensure this field has no more than 65536 characters."] },
    });
  });

  it("answers a form over API Gateway's 10 MB with a 413 before decoding it", async () => {
    const { form } = await handlers();
    const decode = vi.spyOn(Buffer, "from");
    const body = fields(1, MAX_FORM_BODY_BYTES + 1024);
    decode.mockClear();
    const refused = await form(FORM, body);
    expect(refused.statusCode).toBe(413);
    expect(parseJson(refused)).toEqual({ image: ["Request body too large: at most 10 MB."] });
    expect(decode.mock.calls.some((call) => (call as unknown[])[1] === "base64")).toBe(false);
  });

  it("answers fields over the limits through the upload handler with the seed's 400 shape", async () => {
    const { form } = await handlers();
    const refused = await form(FORM, fields(100_000, 40));
    expect(refused.statusCode).toBe(400);
    expect(parseJson(refused)).toEqual({ image: ["Too many fields: at most 10."] });
  });
});

describe("npm start's HTTP server", () => {
  let fake: FakeOpenAI;
  let local: LocalService;
  beforeAll(async () => {
    fake = await new FakeOpenAI().start();
    local = await startScratchService({ env: { OPENAI_API_KEY: "sk-limits", OPENAI_BASE_URL: fake.baseUrl } });
  });
  afterAll(async () => {
    await local?.close();
    await fake?.close();
  });

  /**
   * Sends `sent` bytes of a body declared `declared` bytes long (or chunked), then waits, the rest
   * unsent: the answer must come without the end of the body.
   */
  function stalled(path: string, contentType: string, sent: Buffer, declared?: number): Promise<{ status: number; json: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { "content-type": contentType };
      if (declared !== undefined) headers["content-length"] = declared;
      const outgoing = httpRequest(new URL(path, local.url), { method: "POST", headers }, (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => {
          outgoing.destroy();
          resolve({ status: response.statusCode ?? 0, json: text ? JSON.parse(text) : {} });
        });
      });
      outgoing.on("error", (error) => {
        if (!outgoing.destroyed) reject(error);
      });
      outgoing.write(sent);
      setTimeout(() => reject(new Error("no answer while the body was still coming")), 15_000).unref();
    });
  }

  /** A whole body on a connection of its own (none left idle from an earlier request). */
  function sent(path: string, contentType: string, body: Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        new URL(path, local.url),
        { method: "POST", agent: false, headers: { "content-type": contentType, "content-length": body.length } },
        (response) => {
          let text = "";
          response.on("data", (chunk: Buffer) => (text += chunk.toString()));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }

  it("answers a 4 MB JSON body with the handlers' 413 as soon as 64 KB have come, and stays up", async () => {
    const body = Buffer.from(nested(2 * 1024 * 1024));
    const declared = await stalled("/api/photo-analysis/upload-url/", "application/json", body.subarray(0, 128 * 1024), body.length);
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ non_field_errors: [`Request body too large: at most ${MAX_JSON_BODY_BYTES / 1024} KB of JSON.`] });
    const chunked = await stalled("/api/photo-analysis/upload/", "application/json", body.subarray(0, 128 * 1024));
    expect(chunked.status).toBe(413);
    expect((await fetch(`${local.url}/api/photo-analysis/health/`)).status).toBe(200);
  });

  it("answers a body over 10 MB as API Gateway does (413) without waiting for the rest, and stays up", async () => {
    const body = fields(1, MAX_FORM_BODY_BYTES + 1024 * 1024);
    const answer = await stalled("/api/photo-analysis/upload/", FORM, body.subarray(0, MAX_FORM_BODY_BYTES + 64 * 1024), body.length);
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ message: "Request Entity Too Large" });
    const hostile = await sent("/api/photo-analysis/upload/", FORM, fields(50_000, 40));
    expect(hostile.status).toBe(400);
    expect(hostile.json).toMatchObject({ image: ["Too many fields: at most 10."] });
    expect((await fetch(`${local.url}/api/photo-analysis/health/`)).status).toBe(200);
  });
});
