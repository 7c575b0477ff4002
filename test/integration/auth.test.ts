import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecentHandler } from "../../functions/recent/handler.js";
import { createUploadHandler } from "../../functions/upload/handler.js";
import type { HttpResult } from "../../functions/http.js";
import { httpEvent, parseJson, uploadEvent } from "../helpers/events.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { startTestStack, type TestStack } from "../helpers/stack.js";
import { JwksTokenVerifier } from "../../shared/auth/tokens.js";

const cat = await readFile("fixtures/photos/chelsea-cat.jpg");
let stack: TestStack;
let fake: FakeOpenAI;
let jwks: Server;
let issuer: string;
let privateKey: CryptoKey;
let otherKey: CryptoKey;

beforeAll(async () => {
  stack = await startTestStack();
  fake = await new FakeOpenAI().start();
  const pair = await generateKeyPair("RS256");
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair("RS256")).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  // A loopback identity provider publishing its keys the way Cognito and Auth0 do.
  jwks = createServer((request, response) => {
    if (request.url === "/.well-known/jwks.json") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [jwk] }));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", () => resolve()));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => jwks.close(() => resolve()));
  await fake.close();
  await stack.close();
});

function token(claims: Record<string, unknown>, options: { key?: CryptoKey; issuer?: string; audience?: string; expires?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: "test-key" })
    .setIssuer(options.issuer ?? issuer)
    .setAudience(options.audience ?? "photo-app")
    .setIssuedAt()
    .setExpirationTime(options.expires ?? "10m")
    .sign(options.key ?? privateKey);
}

async function handlers(withIssuer = true) {
  const deps = await stack.deps({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1" });
  if (withIssuer) deps.tokens = new JwksTokenVerifier({ issuer, audience: "photo-app" });
  else delete deps.tokens;
  const upload = createUploadHandler(() => deps);
  const recent = createRecentHandler(() => deps);
  return {
    upload: async (authorization?: string, fingerprint = "fp-auth") => {
      const event = uploadEvent(cat, { fingerprint });
      if (authorization) event.headers.authorization = authorization;
      return (await upload(event, {} as never)) as HttpResult;
    },
    recent: (authorization?: string) =>
      recent(httpEvent({ method: "GET", path: "/api/photo-analysis/recent/", headers: authorization ? { authorization } : {} })),
  };
}

describe("signed-in users from verified JWTs", () => {
  it("takes the user and username from a valid token and limits them as a signed-in user", async () => {
    const { upload, recent } = await handlers();
    const bearer = `Bearer ${await token({ sub: "user-77", "cognito:username": "ada" })}`;
    const result = await upload(bearer);
    expect(result.statusCode).toBe(201);
    expect(parseJson(result).analysis.username).toBe("ada");
    expect(result.headers?.["ratelimit-limit"]).toBe("20");
    const mine = parseJson(await recent(bearer));
    expect(mine.map((item: { username: string }) => item.username)).toEqual(["ada"]);
  });

  it("answers 401 for an expired, forged, foreign or malformed token, never treating it as anonymous", async () => {
    const { upload, recent } = await handlers();
    const bad = [
      `Bearer ${await token({ sub: "u" }, { expires: "-1m" })}`,
      `Bearer ${await token({ sub: "u" }, { key: otherKey })}`,
      `Bearer ${await token({ sub: "u" }, { issuer: "https://evil.example" })}`,
      `Bearer ${await token({ sub: "u" }, { audience: "someone-else" })}`,
      "Bearer not.a.jwt",
      "Basic dXNlcjpwYXNz",
    ];
    for (const authorization of bad) {
      const result = await upload(authorization);
      expect(result.statusCode, authorization.slice(0, 30)).toBe(401);
      expect(parseJson(result).detail).toBeTruthy();
      expect(result.headers?.["www-authenticate"]).toMatch(/^Bearer/);
      expect((await recent(authorization)).statusCode).toBe(401);
    }
  });

  it("needs no token for anonymous requests, and refuses tokens when no issuer is configured", async () => {
    const { upload } = await handlers(false);
    expect((await upload(undefined, "fp-anon-1")).statusCode).toBe(201);
    expect((await upload(`Bearer ${await token({ sub: "u" })}`, "fp-anon-2")).statusCode).toBe(401);
  });
});
