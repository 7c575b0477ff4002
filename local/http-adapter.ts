import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { allowedMethods, findRoute, type HttpRoute } from "../functions/routes.js";
import { errorResponse, isJsonContentType, jsonTooLarge, MAX_JSON_BODY_BYTES, type HttpEvent } from "../functions/http.js";
import { MAX_FORM_BODY_BYTES, withRawBody } from "../functions/multipart.js";
import type { HttpHandler } from "../functions/pipeline.js";

const TEXT_TYPES = /^(application\/json|text\/|application\/x-www-form-urlencoded)/i;

/**
 * CORS as API Gateway applies it in AWS (-c corsOrigins): for allowed origins, preflights are
 * answered here and responses carry Access-Control-Allow-Origin. PHOTO_ANALYSIS_CORS_ORIGINS is a
 * comma list of origins, or "*"; unset, any origin on loopback (localhost, 127.0.0.1, [::1], any port).
 */
export function corsPolicy(setting: string | undefined): (origin: string | undefined) => boolean {
  const origins = (setting ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.includes("*")) return (origin) => Boolean(origin);
  if (origins.length) return (origin) => origin !== undefined && origins.includes(origin);
  return (origin) => origin !== undefined && /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin);
}

/** On preflights: what the browser may send. */
const PREFLIGHT_HEADERS = {
  "access-control-allow-headers": "content-type, authorization, prefer",
  "access-control-max-age": "3600",
};
/** On responses: what the page's script may read. */
const EXPOSED_HEADERS = "ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after, x-request-id";

/**
 * Serves the route table over plain HTTP by turning each request into the API Gateway HTTP API
 * (payload 2.0) event a Lambda would get, calling the route's handler, and writing its result
 * back. Bodies are base64-encoded as API Gateway does for binary content.
 */
export function createLocalApiServer(handlerFor: (route: HttpRoute) => Promise<HttpHandler>, options: { corsOrigins?: string } = {}): Server {
  const allowsOrigin = corsPolicy(options.corsOrigins);
  return createServer((request, response) => {
    const origin = request.headers.origin;
    if (allowsOrigin(origin)) {
      response.setHeader("access-control-allow-origin", origin!);
      response.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
      response.setHeader("vary", "Origin");
    }
    serve(request, response, handlerFor, allowsOrigin(origin)).catch((error) => {
      console.error("local server error", error);
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: "Internal server error" }));
    });
  });
}

/** What is still read (and dropped) after a refusal, so that a client sending a little too much gets the answer. */
const MAX_DROPPED_BYTES = MAX_FORM_BODY_BYTES;

/**
 * The body, or null as soon as it passes `maxBytes`: nothing more is kept. The rest is read and
 * dropped up to MAX_DROPPED_BYTES (a client still sending then gets the answer rather than a reset
 * connection); past that the connection is closed.
 */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else if (!refused) {
        refused = true;
        chunks.length = 0;
        resolve(null);
      } else if (size > maxBytes + MAX_DROPPED_BYTES) request.destroy();
    });
    request.once("end", () => resolve(size > maxBytes ? null : Buffer.concat(chunks)));
    request.once("error", reject);
  });
}

export function toEvent(request: IncomingMessage, body: Buffer, route: HttpRoute, pathParameters: Record<string, string>): HttpEvent {
  const url = new URL(request.url ?? "/", "http://localhost");
  // Own properties only, as API Gateway's JSON event has them: a header or parameter named "__proto__"
  // or "constructor" is a name like any other, never the object's prototype.
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(",") : value]])),
  );
  headers["x-forwarded-proto"] ??= "http";
  const joined = new Map<string, string>();
  for (const [name, value] of url.searchParams) joined.set(name, joined.has(name) ? `${joined.get(name)},${value}` : value);
  const query: Record<string, string> = Object.fromEntries(joined);
  const contentType = headers["content-type"] ?? "";
  const isText = TEXT_TYPES.test(contentType);
  const now = new Date();
  const event: HttpEvent = {
    version: "2.0",
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
    requestContext: {
      accountId: "local",
      apiId: "local",
      // The server's own address on this connection, as API Gateway reports its own domain: never the client's Host.
      domainName: ownAddress(request),
      domainPrefix: "local",
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: `${route.method} ${route.path}`,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length && isText ? body.toString("utf8") : undefined,
    isBase64Encoded: body.length > 0 && !isText,
  };
  if (body.length && !isText) {
    // Binary bodies: the parser reads the bytes directly; the base64 text API Gateway would send is
    // made only if a handler asks for it.
    let encoded: string | undefined;
    Object.defineProperty(event, "body", { enumerable: true, get: () => (encoded ??= body.toString("base64")) });
    withRawBody(event, body);
  }
  return event;
}

function ownAddress(request: IncomingMessage): string {
  const address = (request.socket.localAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
  return `${address.includes(":") ? `[${address}]` : address}:${request.socket.localPort ?? 80}`;
}

/** The server's own answers (no route reached): JSON, named like every other answer. */
function answer(response: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const requestId = randomUUID();
  response.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "private, no-store",
    "x-content-type-options": "nosniff",
    "x-request-id": requestId,
    ...headers,
  });
  response.end(JSON.stringify({ ...body, request_id: requestId }));
}

async function serve(request: IncomingMessage, response: ServerResponse, handlerFor: (route: HttpRoute) => Promise<HttpHandler>, corsAllowed: boolean) {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  const allowed = allowedMethods(path);
  if (request.method === "OPTIONS" && allowed.length) {
    request.resume();
    // A preflight: allowed origins get the methods and headers; others get no CORS headers (the browser refuses).
    response.writeHead(
      204,
      corsAllowed
        ? { ...PREFLIGHT_HEADERS, "access-control-allow-methods": [...allowed, "OPTIONS"].join(", "), allow: [...allowed, "OPTIONS"].join(", ") }
        : { allow: [...allowed, "OPTIONS"].join(", ") },
    );
    response.end();
    return;
  }
  const match = findRoute(request.method ?? "GET", path);
  if (!match) {
    request.resume(); // drain an unread body so the connection can be reused
    if (allowed.length) answer(response, 405, { detail: `Method "${request.method}" not allowed.` }, { allow: allowed.join(", ") });
    else answer(response, 404, { detail: "Not found." });
    return;
  }
  // JSON bodies are small (the handlers refuse more than MAX_JSON_BODY_BYTES with a 413 before parsing):
  // past that, the rest is not kept. Any other body stops at API Gateway's own 10 MB ceiling.
  const json = isJsonContentType(request.headers["content-type"]);
  const maxBytes = json ? MAX_JSON_BODY_BYTES : MAX_FORM_BODY_BYTES;
  const body = await readBody(request, maxBytes);
  if (body === null) {
    if (json) {
      const requestId = randomUUID();
      const refusal = errorResponse(jsonTooLarge(), requestId);
      response.writeHead(refusal.statusCode!, { ...(refusal.headers as Record<string, string>), "x-request-id": requestId });
      response.end(refusal.body);
    } else {
      // API Gateway's own answer to an oversized payload.
      answer(response, 413, { message: "Request Entity Too Large" });
    }
    return;
  }
  const handler = await handlerFor(match.route);
  const result = await handler(toEvent(request, body, match.route, match.pathParameters));
  const payload = result.body ? Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8") : Buffer.alloc(0);
  response.writeHead(result.statusCode ?? 200, { ...(result.headers as Record<string, string>), "content-length": String(payload.length) });
  response.end(payload);
}
