import { readFile } from "node:fs/promises";
import { crc32, deflateSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createImageHandler } from "../../functions/image/handler.js";
import { createUploadUrlHandler } from "../../functions/upload-url/handler.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import type { HttpResult } from "../../functions/http.js";
import { openImage, perceptualHash } from "../../shared/image/decode.js";
import { hammingDistance } from "../../shared/image/hash.js";
import { createS3Client } from "../../shared/runtime/aws-clients.js";
import { httpEvent, parseJson, uploadEvent } from "../helpers/events.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { manualClock, startTestStack, TEST_BUCKET, type TestStack } from "../helpers/stack.js";

const cat = await readFile("fixtures/photos/chelsea-cat.jpg");
const heic = await readFile("fixtures/photos/cat-portrait.heic");
const heicRotated = await readFile("fixtures/photos/cat-portrait-irot.heic");

let stack: TestStack;
let fake: FakeOpenAI;
let bigJpeg: Buffer;

/** A 12 MP photo that compresses like a noisy phone shot: well over Lambda's 6 MB request limit. */
async function phonePhoto(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const pixels = Buffer.alloc(width * height * 3);
  let state = 99;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    pixels[i] = ((i / 3) % width) / 16 + ((state >> 16) & 63);
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

beforeAll(async () => {
  stack = await startTestStack();
  fake = await new FakeOpenAI().start();
  bigJpeg = await phonePhoto();
});
afterAll(async () => {
  await fake.close();
  await stack.close();
});
beforeEach(() => {
  fake.behaviors = [{ kind: "suggestions" }];
});

/**
 * A complete, valid PNG of width × height black pixels (1 bit each) that deflates to a few kB: a
 * decompression bomb made in milliseconds (encoding one with sharp takes a core for many seconds,
 * long enough to time the test out on a busy machine).
 */
function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const typed = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(4 + typed.length + 4);
    out.writeUInt32BE(data.length, 0);
    typed.copy(out, 4);
    out.writeUInt32BE(crc32(typed), 4 + typed.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth; colour type 0 (greyscale), deflate, adaptive filtering, no interlace
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // each row: filter 0, then zero pixels
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(rows, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

async function setup(env: NodeJS.ProcessEnv = {}) {
  const clock = manualClock();
  const deps = await stack.deps({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.baseUrl, ...env }, { now: clock.now });
  const upload = createUploadHandler(() => deps);
  const uploadUrl = createUploadUrlHandler(() => deps);
  const image = createImageHandler(() => deps);
  return {
    deps,
    clock,
    direct: async (bytes: Buffer, fingerprint = "fp-phone") => (await upload(uploadEvent(bytes, { fingerprint }), {} as never)) as HttpResult,
    ticket: (body: Record<string, unknown>) =>
      uploadUrl(
        httpEvent({ method: "POST", path: "/api/photo-analysis/upload-url/", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      ),
    staged: async (body: Record<string, unknown>) =>
      (await upload(
        httpEvent({ method: "POST", path: "/api/photo-analysis/upload/", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
        {} as never,
      )) as HttpResult,
    stored: async (id: string) => {
      const result = await image(httpEvent({ method: "GET", path: `/api/photo-analysis/${id}/image/`, pathParameters: { id } }));
      return Buffer.from(result.body!, "base64");
    },
  };
}

/** Posts the file to the presigned form the way a browser does: the fields first, the file last. */
async function postToS3(ticket: { url: string; fields: Record<string, string> }, bytes: Buffer, contentType: string) {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append("file", new Blob([bytes], { type: contentType }), "photo");
  return fetch(ticket.url, { method: "POST", body: form });
}

describe("presigned uploads for files past the Lambda limit", () => {
  it("sends a >6 MB photo straight to S3 and analyses it exactly like a direct upload", async () => {
    const { direct, ticket, staged, deps } = await setup();
    expect(bigJpeg.length).toBeGreaterThan(6 * 1024 * 1024);

    const tooBigForDirect = await direct(bigJpeg);
    expect(tooBigForDirect.statusCode).toBe(413);
    expect(parseJson(tooBigForDirect).image[0]).toMatch(/too large for a direct upload.*upload-url/);

    const issued = await ticket({ fingerprint: "fp-phone", content_type: "image/jpeg" });
    expect(issued.statusCode).toBe(201);
    const body = parseJson(issued);
    expect(body).toEqual({
      url: expect.stringContaining(TEST_BUCKET),
      fields: expect.any(Object),
      upload_id: expect.any(String),
      max_bytes: 10 * 1024 * 1024,
      expires_in: 600,
    });
    expect(body.fields.Policy).toBeTruthy();
    expect(JSON.parse(Buffer.from(body.fields.Policy, "base64").toString()).conditions).toEqual(
      expect.arrayContaining([["content-length-range", 1, 10 * 1024 * 1024]]),
    );

    const posted = await postToS3(body, bigJpeg, "image/jpeg");
    expect(posted.status).toBeLessThan(300);

    const analyzed = await staged({ upload_id: body.upload_id, fingerprint: "fp-phone" });
    expect(analyzed.statusCode, analyzed.body).toBe(201);
    const result = parseJson(analyzed);
    expect(result.analysis.file_size).toBe(bigJpeg.length);
    expect(result.analysis.stored_size).toBeLessThan(bigJpeg.length);
    expect(Object.keys(result.analysis).sort()).toEqual(Object.keys(parseJson(await direct(cat)).analysis).sort());
    // The staged original is gone, the id cannot be replayed.
    expect(await deps.staging!.size(`uploads/${body.upload_id}`)).toBeNull();
    expect((await staged({ upload_id: body.upload_id, fingerprint: "fp-phone" })).statusCode).toBe(404);
  });

  it("refuses unknown, foreign, expired, missing and oversized uploads with 404/400, never 500", async () => {
    const { ticket, staged, clock } = await setup({ PHOTO_ANALYSIS_MAX_FILE_SIZE_MB: "0.05" });
    const mine = parseJson(await ticket({ fingerprint: "owner" }));
    expect((await staged({ upload_id: "6f1c1f9e-1111-4222-8333-944445555666", fingerprint: "owner" })).statusCode).toBe(404);
    expect((await staged({ upload_id: "not-a-uuid", fingerprint: "owner" })).statusCode).toBe(404);
    expect((await staged({ upload_id: mine.upload_id, fingerprint: "someone-else" })).statusCode).toBe(404);
    const notYet = await staged({ upload_id: mine.upload_id, fingerprint: "owner" });
    expect(notYet.statusCode).toBe(400);
    expect(parseJson(notYet).upload_id[0]).toMatch(/No file has been uploaded/);
    expect(parseJson(await staged({ fingerprint: "owner" }))).toEqual({ upload_id: ["This field is required."] });
    expect(parseJson(await staged({ upload_id: 5, fingerprint: "owner" }))).toEqual({ upload_id: ["Not a valid string."] });

    // A signed PUT with the service's own key skips the POST policy (in S3 too): the real size is checked before analysis.
    await createS3Client({ region: "us-east-1", s3Endpoint: stack.aws.s3Endpoint }).send(
      new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `uploads/${mine.upload_id}`, Body: bigJpeg, ContentType: "image/jpeg" }),
    );
    const oversized = await staged({ upload_id: mine.upload_id, fingerprint: "owner" });
    expect(oversized.statusCode).toBe(400);
    expect(parseJson(oversized).image[0]).toMatch(/too large/);

    const later = parseJson(await ticket({ fingerprint: "owner" }));
    clock.advance(2 * 3600_000);
    const expired = await staged({ upload_id: later.upload_id, fingerprint: "owner" });
    expect(expired.statusCode).toBe(400);
    expect(parseJson(expired).upload_id[0]).toMatch(/expired/);
  });

  it("validates the ticket request and applies the rate limit before handing out URLs", async () => {
    const { ticket, direct } = await setup({ PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1" });
    expect((await ticket({ content_type: "text/html", fingerprint: "fp-t" })).statusCode).toBe(400);
    const malformed = await ticket({ fingerprint: "" });
    expect(parseJson(malformed)).toEqual({ fingerprint: ["This field may not be blank."] });
    const ok = await ticket({ fingerprint: "fp-t" });
    expect(ok.statusCode).toBe(201);
    // Asking for a URL does not spend quota; the upload does.
    expect((await ticket({ fingerprint: "fp-t" })).statusCode).toBe(201);
    expect((await direct(cat, "fp-t")).statusCode).toBe(201);
    const limited = await ticket({ fingerprint: "fp-t" });
    expect(limited.statusCode).toBe(429);
    expect(parseJson(limited).error).toBe("Rate limit exceeded");
  });
});

describe("normalisation before storage", () => {
  it("stores a sideways phone JPEG upright, with EXIF and GPS gone", async () => {
    const { direct, stored } = await setup();
    const upright = await sharp(cat).resize(300, 400, { fit: "cover" }).jpeg().toBuffer();
    const phone = await sharp(upright)
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .withExifMerge({
        IFD0: { Make: "PhoneCo", Model: "Pocket X1" },
        IFD3: { GPSLatitudeRef: "N", GPSLatitude: "51/1 30/1 2600/100", GPSLongitudeRef: "W", GPSLongitude: "0/1 7/1 3900/100" },
      })
      .jpeg()
      .toBuffer();
    const inputMeta = await sharp(phone).metadata();
    expect([inputMeta.width, inputMeta.height, inputMeta.orientation]).toEqual([400, 300, 6]);
    expect(inputMeta.exif?.toString("latin1")).toContain("PhoneCo");

    const result = parseJson(await direct(phone));
    const bytes = await stored(result.analysis.id);
    const storedMeta = await sharp(bytes).metadata();
    expect([storedMeta.width, storedMeta.height]).toEqual([300, 400]);
    expect(storedMeta.orientation).toBeUndefined();
    expect(storedMeta.exif).toBeUndefined();
    expect(storedMeta.xmp).toBeUndefined();
    expect(bytes.includes(Buffer.from("PhoneCo"))).toBe(false);
    // The pHash was taken on the upright photo.
    const uprightHash = await perceptualHash(await openImage(upright, { maxPixels: 1e8 }));
    expect(hammingDistance(result.analysis.image_phash, uprightHash)).toBeLessThanOrEqual(4);
  });

  it("caps the long edge of what is stored", async () => {
    const { direct, stored } = await setup({ PHOTO_ANALYSIS_STORED_MAX_EDGE: "1024", PHOTO_ANALYSIS_DIRECT_UPLOAD_MAX_MB: "10" });
    const result = parseJson(await direct(bigJpeg));
    const meta = await sharp(await stored(result.analysis.id)).metadata();
    expect([meta.width, meta.height]).toEqual([1024, 768]);
  });

  it("decodes iPhone-style HEIC, including one stored sideways with an irot transform, upright", async () => {
    const { direct, stored } = await setup();
    const plain = parseJson(await direct(heic));
    const rotated = parseJson(await direct(heicRotated));
    for (const result of [plain, rotated]) {
      expect(result.analysis.suggestions).toHaveLength(10);
      const meta = await sharp(await stored(result.analysis.id)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 240, 320]);
    }
    expect(hammingDistance(plain.analysis.image_phash, rotated.analysis.image_phash)).toBeLessThanOrEqual(6);
  });

  it("stores the first frame of an animated GIF as a still (JPEG: no pixel is transparent), and accepts AVIF", async () => {
    const { direct, stored } = await setup();
    const frames = await Promise.all([cat, await sharp(cat).negate().toBuffer()].map((b) => sharp(b).resize(160, 120).raw().toBuffer()));
    const animated = await sharp(Buffer.concat(frames), { raw: { width: 160, height: 120 * 2, channels: 3, pageHeight: 120 } as never })
      .gif({ loop: 0, delay: [100, 100] })
      .toBuffer();
    expect((await sharp(animated).metadata()).pages).toBe(2);
    const result = parseJson(await direct(animated));
    const meta = await sharp(await stored(result.analysis.id)).metadata();
    expect([meta.format, meta.width, meta.height, meta.pages ?? 1]).toEqual(["jpeg", 160, 120, 1]);

    const avif = await sharp(cat).resize(200).avif().toBuffer();
    expect((await direct(avif)).statusCode).toBe(201);
  });
});

describe("decoding safety", () => {
  it("refuses a decompression bomb, a truncated or corrupt JPEG and a text file named .jpg with a clear 400", async () => {
    const { direct } = await setup();
    const bomb = pngBomb(12_000, 12_000);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ format: "png", width: 12_000, height: 12_000 });
    const bombResult = await direct(bomb);
    expect(bombResult.statusCode).toBe(400);
    expect(parseJson(bombResult).image[0]).toMatch(/dimensions too large/);

    const truncated = await direct(cat.subarray(0, Math.floor(cat.length * 0.6)));
    expect(truncated.statusCode).toBe(400);
    expect(parseJson(truncated).image[0]).toMatch(/valid image/);

    // 200 bytes gone from the middle of the scan: the pHash's 1/8-scale decode lets it through, a later decode does not.
    const middle = Math.floor(cat.length / 2);
    const corrupt = await direct(Buffer.concat([cat.subarray(0, middle), cat.subarray(middle + 200)]));
    expect(corrupt.statusCode).toBe(400);
    expect(parseJson(corrupt).image[0]).toMatch(/valid image/);

    const text = await direct(Buffer.from("GIF89a, or so this text file claims to be"));
    expect(text.statusCode).toBe(400);

    const heicBroken = await direct(heic.subarray(0, 600));
    expect(heicBroken.statusCode).toBe(400);
  });
});
