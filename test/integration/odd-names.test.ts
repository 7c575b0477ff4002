import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalService } from "../../local/service.js";
import { HTTP_ROUTES } from "../../functions/routes.js";
import { startScratchService } from "../helpers/local-service.js";
import { ODD_NAMES, oddRequests, prototypePolluted, type OddRequest } from "../helpers/odd-names.js";
import { openWatcher } from "../helpers/socket.js";

/**
 * Every route of `npm start`'s server, sent names that are not what code expects (Object.prototype's
 * properties, traversal, malformed encoding, very long ones) in path parameters, queries and bodies:
 * each answers through the one error mapping (a 4xx or its normal answer, named by X-Request-Id),
 * nothing lands on Object.prototype, and the server keeps serving. Admin routes are sent them with
 * and without the admin token. (The Lambda bundles get the same in test/infra/lambda-bundle.test.ts.)
 */
let local: LocalService;
const ADMIN_TOKEN = "odd-names-admin";

beforeAll(async () => {
  local = await startScratchService({ env: { PHOTO_ANALYSIS_ADMIN_TOKEN: ADMIN_TOKEN, PHOTO_ANALYSIS_VISION_PROVIDER: "local" } });
});
afterAll(async () => {
  await local?.close();
});

/** node:http, not fetch: the path goes out exactly as written (fetch would normalise "..", "%2e%2e"). */
function send(
  odd: OddRequest,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(local.url);
  const query = odd.query ? `?${new URLSearchParams(odd.query)}` : "";
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: url.port, method: odd.method, path: `${odd.path}${query}`, headers: { ...odd.headers, ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(odd.body);
  });
}

describe("odd names against every route of the local server", () => {
  it.each(HTTP_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    "%s answers each through the error mapping, never a 500",
    async (_, route) => {
      const credentials: Record<string, string>[] =
        route.id.startsWith("Admin") && route.id !== "AdminPage" && route.id !== "AdminAssets" ? [{}, { authorization: `Bearer ${ADMIN_TOKEN}` }] : [{}];
      const answers: string[] = [];
      for (const odd of oddRequests(route)) {
        for (const headers of credentials) {
          const answer = await send(odd, headers);
          answers.push(`${answer.status}`);
          expect(answer.status, `${odd.what}${headers.authorization ? " (admin)" : ""}: ${answer.body.slice(0, 200)}`).toBeLessThan(500);
          expect(answer.headers["x-request-id"], odd.what).toBeTruthy();
          if (answer.status >= 400) expect(JSON.parse(answer.body), odd.what).toEqual(expect.any(Object));
        }
      }
      expect(answers.length).toBeGreaterThanOrEqual(ODD_NAMES.length);
      expect(prototypePolluted()).toBe(false);
    },
  );

  it("answers /admin/assets/ with Object.prototype's names as unknown files: 404, like any other unknown name", async () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const answer = await send({ method: "GET", path: `/admin/assets/${name}`, what: name });
      expect(answer.status, name).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ detail: "Not found.", request_id: expect.any(String) });
    }
    expect((await send({ method: "GET", path: "/admin/assets/admin.js", what: "admin.js" })).status).toBe(200);
  });

  it("answers odd subscriptions on the events WebSocket with an error message and keeps the connection", async () => {
    const watcher = await openWatcher(`${local.url.replace("http", "ws")}/api/photo-analysis/events/?fingerprint=__proto__&constructor=x`);
    const messages = [
      { action: "subscribe", job_id: "__proto__" },
      { action: "subscribe", batch_id: "constructor" },
      { action: "__proto__" },
      { action: "constructor", job_id: "toString" },
      JSON.parse('{"__proto__": {"polluted": true}, "action": "subscribe", "job_id": "hasOwnProperty"}'),
    ];
    for (const [index, message] of messages.entries()) {
      watcher.send(message);
      await watcher.until((received) => received.type === "error", index + 1);
    }
    expect(watcher.messages.map((message) => message.type)).toEqual(messages.map(() => "error"));
    watcher.close();
    expect(prototypePolluted()).toBe(false);
  });

  it("still serves afterwards", async () => {
    expect((await fetch(`${local.url}/api/photo-analysis/health/`)).status).toBe(200);
  });
});
