import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalService } from "../../local/service.js";
import { analysisSchema } from "../../shared/api/schemas.js";
import { md5Hex } from "../../shared/image/hash.js";
import { multipartBody } from "../helpers/events.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { startScratchService } from "../helpers/local-service.js";

/**
 * Privacy, as an outside tester tries it: `npm start`'s service over HTTP, signed-in users from a
 * loopback JWKS issuer and anonymous callers. An upload belongs to its caller; the cache never
 * reveals anyone else (not their id, name, time, image or how often); links never follow the
 * client's headers; personal JSON is never cached.
 */

let jwks: Server;
let issuer: string;
let signingKey: CryptoKey;
let fake: FakeOpenAI;
let local: LocalService;
let original: Buffer;
let thumbnail: Buffer;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "privacy-key", alg: "RS256", use: "sig" };
  jwks = createServer((request, response) => {
    if (request.url !== "/.well-known/jwks.json") return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", () => resolve()));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  fake = await new FakeOpenAI().start();
  local = await startScratchService({
    env: {
      OPENAI_API_KEY: "sk-privacy",
      OPENAI_BASE_URL: fake.baseUrl,
      PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0",
      PHOTO_ANALYSIS_JWT_ISSUER: issuer,
      PHOTO_ANALYSIS_JWT_AUDIENCE: "photo-app",
    },
  });
  // A signed-in user's 1024x1024 photo, and a stranger's 48x48 thumbnail of it.
  original = await sharp(await readFile("fixtures/photos/chelsea-cat.jpg"))
    .resize(1024, 1024, { fit: "cover" })
    .jpeg({ quality: 90 })
    .toBuffer();
  thumbnail = await sharp(original).resize(48, 48).jpeg({ quality: 75 }).toBuffer();
});

afterAll(async () => {
  await local?.close();
  await fake?.close();
  await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
});

const bearer = async (sub: string, email: string) =>
  `Bearer ${await new SignJWT({ sub, email }).setProtectedHeader({ alg: "RS256", kid: "privacy-key" }).setIssuer(issuer).setAudience("photo-app").setIssuedAt().setExpirationTime("10m").sign(signingKey)}`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of several shapes, checked by the assertions
  json(): any;
}

/** A request as any HTTP client can send it, forged Host header included (fetch would not send one). */
function send(method: string, path: string, options: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Answer> {
  const url = new URL(path, local.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: { ...options.headers, ...(options.body ? { "content-length": String(options.body.length) } : {}) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, json: () => JSON.parse(body.toString("utf8")) });
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
}

function upload(
  bytes: Buffer,
  options: { fingerprint?: string; authorization?: string; headers?: Record<string, string>; fields?: Record<string, string> } = {},
) {
  const fields: Record<string, string> = { ...(options.fingerprint ? { fingerprint: options.fingerprint } : {}), ...options.fields };
  const form = multipartBody([{ field: "image", filename: "photo.jpg", contentType: "image/jpeg", bytes }], fields);
  return send("POST", "/api/photo-analysis/upload/", {
    body: form.body,
    headers: { "content-type": form.contentType, ...(options.authorization ? { authorization: options.authorization } : {}), ...options.headers },
  });
}

const read = (id: string, query = "", headers: Record<string, string> = {}) => send("GET", `/api/photo-analysis/${id}/${query}`, { headers });
const imageOf = (id: string) => send("GET", `/api/photo-analysis/${id}/image/`);

describe("an upload belongs to its caller; the cache reveals no one", () => {
  let ada: string;
  let owner: { id: string; created_at: string };
  let stranger: { id: string };
  let twin: { id: string };

  it("a stranger's 48x48 thumbnail of a signed-in user's 1024x1024 photo gets their own upload and their own image, no owner fields, and no vision call", async () => {
    ada = await bearer("user-ada", "ada@example.com");
    const first = await upload(original, { authorization: ada, fingerprint: "fp-ada-browser" });
    expect(first.status).toBe(201);
    owner = first.json().analysis;
    expect(owner).toMatchObject({ username: "ada@example.com", file_hash: md5Hex(original) });
    const calls = fake.callCount;

    const theirs = await upload(thumbnail, { fingerprint: "fp-stranger" });
    expect(theirs.status).toBe(201);
    const body = theirs.json();
    expect(body.cached).toBe(false);
    expect(body.match).toBeUndefined();
    stranger = body.analysis;
    expect(body.analysis).toMatchObject({
      username: null,
      times_used: 0,
      file_size: thumbnail.length,
      file_hash: md5Hex(thumbnail),
      image_url: `${local.url}/api/photo-analysis/${stranger.id}/image/`,
    });
    expect(body.analysis.suggestions).toHaveLength(10);
    expect(stranger.id).not.toBe(owner.id);
    // Nothing of the owner's: not their id, user, e-mail, fingerprint, time or file. (Each identifier whole:
    // "ada" alone also turns up in random upload ids, as hex.)
    const text = theirs.body.toString("utf8");
    for (const secret of [owner.id, "user-ada", "ada@example.com", "fp-ada-browser", owner.created_at, md5Hex(original)]) expect(text).not.toContain(secret);
    // The stranger's image is their own thumbnail, not the owner's photo.
    const served = await imageOf(stranger.id);
    expect(served.status).toBe(200);
    expect(await sharp(served.body).metadata()).toMatchObject({ width: 48, height: 48 });
    // No vision call, no unit of the stranger's allowance.
    expect(fake.callCount).toBe(calls);
    expect(theirs.headers["ratelimit-remaining"]).toBe(theirs.headers["ratelimit-limit"]);
  });

  it("a stranger's identical bytes get their own upload with their own stored image, and no vision call", async () => {
    const calls = fake.callCount;
    const same = await upload(original, { fingerprint: "fp-twin" });
    expect(same.status).toBe(201);
    twin = same.json().analysis;
    expect(same.json()).toMatchObject({ cached: false, analysis: { username: null, times_used: 0 } });
    expect(same.json().match).toBeUndefined();
    expect([owner.id, stranger.id]).not.toContain(twin.id);
    expect(same.body.toString("utf8")).not.toContain(owner.id);
    const served = await imageOf(twin.id);
    expect(await sharp(served.body).metadata()).toMatchObject({ width: 1024, height: 1024 });
    expect(fake.callCount).toBe(calls);
  });

  it("answers each caller's own repeat from their own upload (200, cached, times_used + 1)", async () => {
    const again = await upload(original, { authorization: ada, fingerprint: "fp-ada-browser" });
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ cached: true, match: "exact", analysis: { id: owner.id, times_used: 1 } });
    const thumbAgain = await upload(thumbnail, { fingerprint: "fp-stranger" });
    expect(thumbAgain.json()).toMatchObject({ cached: true, match: "similar", analysis: { id: stranger.id, times_used: 1 } });
  });

  it("shows an upload's owner fields to its owner only", async () => {
    const mine = (await read(owner.id, "", { authorization: ada })).json();
    expect(mine).toMatchObject({ username: "ada@example.com", file_hash: md5Hex(original) });
    for (const viewer of [
      { query: "" },
      { query: "?fingerprint=fp-stranger" },
      { query: "?fingerprint=fp-ada-browser" },
      { query: "", headers: { authorization: await bearer("user-bob", "bob@example.com") } },
    ]) {
      const seen = (await read(owner.id, viewer.query, viewer.headers)).json();
      expect(seen, viewer.query).toEqual({ ...mine, username: null, context: null, file_hash: null, image_phash: null });
      // The published schema (openapi.json) says these fields are nullable.
      expect(analysisSchema.safeParse(seen).error).toBeUndefined();
    }
  });

  it("recent/ with a signed-in user's browser fingerprint lists nothing of theirs; each caller lists their own", async () => {
    expect((await send("GET", "/api/photo-analysis/recent/?fingerprint=fp-ada-browser")).json()).toEqual([]);
    const hers = (await send("GET", "/api/photo-analysis/recent/", { headers: { authorization: ada } })).json();
    expect(hers.map((item: { id: string }) => item.id)).toEqual([owner.id]);
    expect(hers[0].username).toBe("ada@example.com");
    expect((await send("GET", "/api/photo-analysis/recent/?fingerprint=fp-stranger")).json().map((item: { id: string }) => item.id)).toEqual([stranger.id]);
  });

  it("DELETE works for the owner only (others get the 404 of an unknown id); the shared analysis survives for the others", async () => {
    const bob = await bearer("user-bob", "bob@example.com");
    for (const attempt of [
      { query: "" },
      { query: "?fingerprint=fp-stranger" },
      { query: "?fingerprint=fp-ada-browser" },
      { query: "", headers: { authorization: bob } },
    ]) {
      const refused = await send("DELETE", `/api/photo-analysis/${owner.id}/${attempt.query}`, { headers: attempt.headers });
      expect(refused.status, attempt.query).toBe(404);
      expect(refused.json()).toMatchObject({ detail: "Not found." });
    }
    expect((await send("DELETE", "/api/photo-analysis/6f1c1f9e-1111-4222-8333-944445555666/", { headers: { authorization: ada } })).status).toBe(404);
    expect((await read(owner.id)).status).toBe(200);

    const deleted = await send("DELETE", `/api/photo-analysis/${owner.id}/`, { headers: { authorization: ada } });
    expect(deleted.status).toBe(204);
    expect(deleted.body.length).toBe(0);
    expect((await read(owner.id, "", { authorization: ada })).status).toBe(404);
    expect((await imageOf(owner.id)).status).toBe(404);
    expect((await send("GET", "/api/photo-analysis/recent/", { headers: { authorization: ada } })).json()).toEqual([]);
    expect((await send("DELETE", `/api/photo-analysis/${owner.id}/`, { headers: { authorization: ada } })).status).toBe(404);

    // The others' uploads still have their suggestions and images; a newcomer is still answered without a vision call.
    for (const other of [stranger, twin]) {
      expect((await read(other.id)).json().suggestions).toHaveLength(10);
      expect((await imageOf(other.id)).status).toBe(200);
    }
    const calls = fake.callCount;
    const newcomer = await upload(original, { fingerprint: "fp-newcomer" });
    expect(newcomer.status).toBe(201);
    expect(fake.callCount).toBe(calls);
    expect((await imageOf(newcomer.json().analysis.id)).status).toBe(200);
  });
});

describe("links never follow the client's headers", () => {
  const forged = { host: "evil.example", "x-forwarded-proto": "javascript:alert(document.domain)//", "x-forwarded-host": "evil.example" };

  it("a forged Host or X-Forwarded-Proto changes no link in an answer", async () => {
    const photo = await sharp(await readFile("fixtures/photos/labrador.webp"))
      .resize(300)
      .jpeg()
      .toBuffer();
    const created = await upload(photo, { fingerprint: "fp-links", headers: forged });
    expect(created.status).toBe(201);
    const id = created.json().analysis.id;
    expect(created.json().analysis.image_url).toBe(`${local.url}/api/photo-analysis/${id}/image/`);
    expect((await read(id, "", forged)).json().image_url).toBe(`${local.url}/api/photo-analysis/${id}/image/`);
    expect(created.body.toString("utf8")).not.toMatch(/evil|javascript/);
  });

  it("an async upload's status, events and Location links are the server's own, and the job stores no URL", async () => {
    const photo = await sharp(await readFile("fixtures/photos/motorcycle.png"))
      .resize(280)
      .jpeg()
      .toBuffer();
    const form = multipartBody([{ field: "image", filename: "m.jpg", contentType: "image/jpeg", bytes: photo }], { fingerprint: "fp-async-links" });
    const accepted = await send("POST", "/api/photo-analysis/upload/", {
      body: form.body,
      headers: { "content-type": form.contentType, prefer: "respond-async", ...forged },
    });
    expect(accepted.status).toBe(202);
    const job = accepted.json();
    expect(job.status_url).toBe(`${local.url}/api/photo-analysis/jobs/${job.job_id}/?fingerprint=fp-async-links`);
    expect(job.events_url).toBe(`${local.url.replace("http", "ws")}/api/photo-analysis/events/?fingerprint=fp-async-links`);
    expect(accepted.headers.location).toBe(job.status_url);
    await local.queue.idle();
    const stored = await local.deps.jobs!.get(job.job_id);
    expect(stored!.stage).toBe("done");
    expect(JSON.stringify(stored)).not.toMatch(/https?:|evil|javascript/);
    const status = (await send("GET", `/api/photo-analysis/jobs/${job.job_id}/?fingerprint=fp-async-links`, { headers: forged })).json();
    expect(status.analysis.image_url).toBe(`${local.url}/api/photo-analysis/${status.analysis.id}/image/`);
  });
});

describe("headers", () => {
  it("personal JSON is private, never stored by caches, and not sniffed; the image is private for five minutes", async () => {
    const created = await upload(
      await sharp(await readFile("fixtures/photos/astronaut.jpg"))
        .resize(200)
        .jpeg()
        .toBuffer(),
      { fingerprint: "fp-headers" },
    );
    const id = created.json().analysis.id;
    const answers = [
      created,
      await read(id),
      await send("GET", "/api/photo-analysis/recent/?fingerprint=fp-headers"),
      await read("6f1c1f9e-1111-4222-8333-944445555666"),
      await send("GET", "/api/photo-analysis/recent/"),
      await send("GET", "/api/photo-analysis/no/such/path/here/"),
      await send("PUT", "/api/photo-analysis/upload/"),
    ];
    for (const answer of answers) {
      expect(answer.headers["content-type"]).toMatch(/^application\/json/);
      expect(answer.headers["cache-control"], answer.body.toString().slice(0, 80)).toBe("private, no-store");
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    }
    const image = await imageOf(id);
    expect(image.headers["cache-control"]).toBe("private, max-age=300");
    expect(image.headers["x-content-type-options"]).toBe("nosniff");
    const deleted = await send("DELETE", `/api/photo-analysis/${id}/?fingerprint=fp-headers`);
    expect(deleted.status).toBe(204);
    expect(deleted.headers["cache-control"]).toBe("private, no-store");
    expect(deleted.headers["x-content-type-options"]).toBe("nosniff");
  });
});
