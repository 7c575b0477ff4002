import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpResult } from "../../functions/http.js";
import { parseMultipart } from "../../functions/multipart.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import { httpEvent, parseJson } from "../helpers/events.js";
import { useLocalStack } from "../helpers/stack.js";

/**
 * Hostile and unusual multipart bodies against the upload handler. Every answer must be a 2xx or
 * 4xx JSON body and nothing may escape as an uncaught exception or unhandled rejection (vitest
 * fails the run on those; the counters below make it explicit).
 */

const suite = useLocalStack();
const photo = await readFile("fixtures/photos/coffee-mug.jpg");
const FUZZ_RUNS = 1_000;

let escaped: unknown[] = [];
const record = (error: unknown) => escaped.push(error);
beforeAll(() => {
  escaped = [];
  process.on("uncaughtException", record);
  process.on("unhandledRejection", record);
});
afterAll(() => {
  process.off("uncaughtException", record);
  process.off("unhandledRejection", record);
});

async function uploader() {
  const deps = await suite.stack.deps({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: suite.fake.baseUrl, PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0" });
  const handler = createUploadHandler(() => deps);
  return async (contentType: string, body: Buffer) =>
    (await handler(
      httpEvent({ method: "POST", path: "/api/photo-analysis/upload/", headers: { "content-type": contentType }, body }),
      {} as never,
    )) as HttpResult;
}

interface Part {
  name: string;
  filename?: string;
  bytes: Buffer;
}

function encode(parts: Part[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ""}`;
    const type = part.filename !== undefined ? "\r\nContent-Type: image/jpeg" : "";
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`), part.bytes, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

describe("multipart parsing that cannot crash the process", () => {
  it("answers a file part without its closing boundary, and prototype-shaped field names, with a 400", async () => {
    const upload = await uploader();
    const truncated = Buffer.from('--XX\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nabc');
    const result = await upload("multipart/form-data; boundary=XX", truncated);
    expect(result.statusCode).toBe(400);
    expect(parseJson(result)).toEqual({ image: ["Invalid or malformed multipart/form-data."] });
    for (const name of ["__proto__[]", "__proto__", "constructor", "toString", "image[]"]) {
      const body = encode([{ name, bytes: Buffer.from("x") }], "XX");
      const answer = await upload("multipart/form-data; boundary=XX", body);
      expect(answer.statusCode, name).toBe(400);
      expect(parseJson(answer), name).toEqual({ image: ["No file was submitted."] });
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // the old crash came on a later tick
    expect(escaped).toEqual([]);
  });

  it.each([
    ['multipart/form-data; boundary="quoted-by-dotnet"', "quoted-by-dotnet"],
    ["multipart/form-data; boundary=dart-http-boundary-_.+x", "dart-http-boundary-_.+x"],
    ["multipart/form-data;boundary=nospace", "nospace"],
    ["Multipart/Form-Data; boundary=MixedCase", "MixedCase"],
    ["multipart/form-data; charset=utf-8; boundary=after-charset", "after-charset"],
  ])("accepts RFC 7578 multipart as real clients send it: %s", async (contentType, boundary) => {
    const upload = await uploader();
    const result = await upload(
      contentType,
      encode(
        [
          { name: "image", filename: "mug.jpg", bytes: photo },
          { name: "fingerprint", bytes: Buffer.from(`fp-${boundary}`) },
        ],
        boundary,
      ),
    );
    expect([200, 201]).toContain(result.statusCode);
    expect(parseJson(result).analysis.suggestions).toHaveLength(10);
  });

  it("keeps field names out of any object prototype", async () => {
    const form = await parseMultipart(encode([{ name: "__proto__", bytes: Buffer.from("polluted") }], "b"), "multipart/form-data; boundary=b", {
      fileSize: 1e6,
      files: 1,
      fields: 5,
      fieldSize: 100,
    });
    expect(form.fields.get("__proto__")).toEqual(["polluted"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(form.fields)).toBe(Map.prototype);
  });

  it(`survives ${FUZZ_RUNS} mutated bodies (truncated, flipped, duplicated, reordered parts, odd boundaries and names): 2xx or 4xx JSON every time`, async () => {
    const upload = await uploader();
    const small = photo.subarray(0, 4096); // a cut JPEG: the image decoder's 400, not the parser's
    const bchars = "abcXYZ0189'()+_,-./:=?";
    const boundary = fc.string({ unit: fc.constantFrom(...bchars.split("")), minLength: 1, maxLength: 70 });
    const name = fc.oneof(
      fc.constantFrom("image", "fingerprint", "style", "__proto__", "__proto__[]", "constructor", "image[]", "", 'a"b'),
      fc.string({ maxLength: 12 }),
    );
    const part = fc.record({
      name,
      filename: fc.option(fc.constantFrom("a.jpg", "", "../../etc/passwd", "é.png"), { nil: undefined }),
      bytes: fc.oneof(
        fc.constant(photo),
        fc.constant(small),
        fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
        fc.constantFrom(Buffer.from("playful"), Buffer.from("fp-1")),
      ),
    });
    // A third of the cases start from a valid upload (photo, fingerprint, style) in a random order.
    const valid: Part[] = [
      { name: "image", filename: "mug.jpg", bytes: photo },
      { name: "fingerprint", bytes: Buffer.from("fp-fuzz") },
      { name: "style", bytes: Buffer.from("cozy") },
    ];
    const parts = fc.oneof(
      { weight: 1, arbitrary: fc.shuffledSubarray(valid, { minLength: 1 }) },
      { weight: 2, arbitrary: fc.array(part, { minLength: 0, maxLength: 5 }) },
    );
    const mutation = fc.oneof(
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("none" as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("flip" as const),
          positions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
          value: fc.integer({ min: 0, max: 255 }),
        }),
      },
    );
    const statuses = new Map<number, number>();
    const contentTypeStyle = fc.constantFrom("plain", "quoted", "upper", "charset-first", "no-space", "missing-boundary", "wrong-boundary");

    await fc.assert(
      fc.asyncProperty(parts, boundary, mutation, contentTypeStyle, fc.boolean(), async (parts, b, change, style, duplicate) => {
        const ordered = duplicate && parts.length ? [...parts, parts[0]!] : parts;
        let body = encode(ordered, b);
        if (change.kind === "truncate") body = body.subarray(0, Math.floor(change.at * body.length));
        if (change.kind === "flip") {
          body = Buffer.from(body);
          for (const position of change.positions) if (body.length) body[Math.floor(position * (body.length - 1))] = change.value;
        }
        const contentType = {
          plain: `multipart/form-data; boundary=${b}`,
          quoted: `multipart/form-data; boundary="${b}"`,
          upper: `MULTIPART/FORM-DATA; BOUNDARY="${b}"`,
          "charset-first": `multipart/form-data; charset=utf-8; boundary="${b}"`,
          "no-space": `multipart/form-data;boundary="${b}"`,
          "missing-boundary": "multipart/form-data",
          "wrong-boundary": "multipart/form-data; boundary=not-the-one",
        }[style];
        const result = await upload(contentType, body);
        const status = result.statusCode ?? 0;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status >= 200 && status < 300 ? "2xx" : status >= 400 && status < 500 ? "4xx" : `HTTP ${status}: ${result.body}`).toMatch(/^[24]xx$/);
        expect(() => parseJson(result)).not.toThrow();
      }),
      { numRuns: FUZZ_RUNS, seed: 20261125 },
    );
    console.log(
      `multipart fuzz: ${FUZZ_RUNS} bodies → ${[...statuses]
        .sort((a, b) => a[0] - b[0])
        .map(([status, count]) => `${status}×${count}`)
        .join(", ")}`,
    );
    // The generator reaches both sides: real uploads that succeed and malformed ones refused.
    expect([...statuses.keys()].some((status) => status < 300)).toBe(true);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(escaped).toEqual([]);
  }, 180_000);
});
