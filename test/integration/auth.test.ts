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
import { InvalidTokenError, JwksTokenVerifier } from "../../shared/auth/tokens.js";
import { startScratchService } from "../helpers/local-service.js";

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
  const deps = await stack.deps(
    { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS: "1" },
    { tokens: withIssuer ? new JwksTokenVerifier({ issuer, audience: "photo-app" }) : undefined },
  );
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

describe("tokens for this API only", () => {
  /** A token signed by the test issuer with exactly these claims (no default audience). */
  function signed(claims: Record<string, unknown>) {
    return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "test-key" }).setIssuer(issuer).setIssuedAt().setExpirationTime("10m").sign(privateKey);
  }

  it("refuses an issuer without an audience or a Cognito client id: the verifier, and npm start before any server starts", async () => {
    expect(() => new JwksTokenVerifier({ issuer })).toThrow(/PHOTO_ANALYSIS_JWT_AUDIENCE.*PHOTO_ANALYSIS_JWT_CLIENT_ID/);
    await expect(startScratchService({ env: { PHOTO_ANALYSIS_JWT_ISSUER: issuer } })).rejects.toThrow(/need an audience: set PHOTO_ANALYSIS_JWT_AUDIENCE/);
    await expect(
      startScratchService({ env: { PHOTO_ANALYSIS_JWT_ISSUER: issuer, PHOTO_ANALYSIS_JWT_CLIENT_ID: "c", PHOTO_ANALYSIS_JWT_TOKEN_USE: "refresh" } }),
    ).rejects.toThrow(/PHOTO_ANALYSIS_JWT_TOKEN_USE must be id or access/);
  });

  it("with a Cognito app client id: its ID tokens (aud) and access tokens (client_id) sign in, told apart by token_use; other clients' and unmarked tokens do not", async () => {
    const verifier = new JwksTokenVerifier({ issuer, clientId: "photo-client" });
    expect(await verifier.verify(await signed({ sub: "u1", aud: "photo-client", token_use: "id" }))).toMatchObject({ userId: "u1" });
    expect(await verifier.verify(await signed({ sub: "u2", client_id: "photo-client", token_use: "access" }))).toMatchObject({ userId: "u2" });
    for (const claims of [
      { sub: "u3", aud: "other-client", token_use: "id" },
      { sub: "u4", client_id: "other-client", token_use: "access" },
      // The right client in the wrong claim for its kind: an access token's aud, an ID token's client_id.
      { sub: "u5", aud: "photo-client", token_use: "access" },
      { sub: "u6", client_id: "photo-client", token_use: "id" },
      { sub: "u7", aud: "photo-client" },
      { sub: "u8", client_id: "photo-client", token_use: "refresh" },
    ]) {
      await expect(verifier.verify(await signed(claims)), JSON.stringify(claims)).rejects.toBeInstanceOf(InvalidTokenError);
    }
    const accessOnly = new JwksTokenVerifier({ issuer, clientId: "photo-client", tokenUse: "access" });
    await expect(accessOnly.verify(await signed({ sub: "u1", aud: "photo-client", token_use: "id" }))).rejects.toThrow(
      /id token where access tokens are expected/,
    );
    expect(await accessOnly.verify(await signed({ sub: "u2", client_id: "photo-client", token_use: "access" }))).toMatchObject({ userId: "u2" });
  });

  it("with an audience: only tokens naming it", async () => {
    const verifier = new JwksTokenVerifier({ issuer, audience: "photo-app" });
    expect(await verifier.verify(await signed({ sub: "u1", aud: "photo-app" }))).toMatchObject({ userId: "u1" });
    await expect(verifier.verify(await signed({ sub: "u1" }))).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifier.verify(await signed({ sub: "u1", aud: "another-app" }))).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
