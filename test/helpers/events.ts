import { randomUUID } from "node:crypto";
import type { HttpEvent } from "../../functions/http.js";

export interface FilePart {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** A multipart/form-data body as browsers and curl send it. */
export function multipartBody(files: FilePart[], fields: Record<string, string> = {}) {
  const boundary = `----vitest${randomUUID().replace(/-/g, "")}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from("\r\n"),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** An API Gateway HTTP API (payload 2.0) event, as API Gateway builds it. */
export function httpEvent(options: {
  method: string;
  path: string;
  routePath?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  sourceIp?: string;
  claims?: Record<string, unknown>;
}): HttpEvent {
  const query = options.query ?? {};
  const body = options.body;
  const event = {
    version: "2.0",
    routeKey: `${options.method} ${options.routePath ?? options.path}`,
    rawPath: options.path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: { host: "api.example.test", "x-forwarded-proto": "https", ...(options.headers ?? {}) },
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: options.pathParameters,
    requestContext: {
      accountId: "123456789012",
      apiId: "test",
      domainName: "api.example.test",
      domainPrefix: "api",
      http: { method: options.method, path: options.path, protocol: "HTTP/1.1", sourceIp: options.sourceIp ?? "198.51.100.7", userAgent: "vitest" },
      requestId: randomUUID(),
      routeKey: `${options.method} ${options.routePath ?? options.path}`,
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      ...(options.claims ? { authorizer: { jwt: { claims: options.claims, scopes: [] } } } : {}),
    },
    body: body === undefined ? undefined : Buffer.isBuffer(body) ? body.toString("base64") : body,
    isBase64Encoded: Buffer.isBuffer(body),
  };
  return event as HttpEvent;
}

export function uploadEvent(
  bytes: Buffer | null,
  options: { fingerprint?: string; sourceIp?: string; filename?: string; contentType?: string; claims?: Record<string, unknown> } = {},
) {
  const files = bytes ? [{ field: "image", filename: options.filename ?? "photo.jpg", contentType: options.contentType ?? "image/jpeg", bytes }] : [];
  const fields: Record<string, string> = options.fingerprint !== undefined ? { fingerprint: options.fingerprint } : {};
  const multipart = multipartBody(files, fields);
  return httpEvent({
    method: "POST",
    path: "/api/photo-analysis/upload/",
    headers: { "content-type": multipart.contentType },
    body: multipart.body,
    sourceIp: options.sourceIp,
    claims: options.claims,
  });
}

/**
 * The response's JSON. Error bodies carry `request_id`, which must equal the X-Request-Id header; it
 * is checked and then removed, so tests compare the seed's own fields exactly.
 */
export function parseJson(result: { body?: string; headers?: Record<string, unknown> }) {
  const body = JSON.parse(result.body ?? "null");
  if (body && typeof body === "object" && !Array.isArray(body) && "request_id" in body) {
    const header = result.headers?.["x-request-id"];
    if (body.request_id !== header) throw new Error(`request_id ${body.request_id} differs from X-Request-Id ${String(header)}`);
    delete body.request_id;
  }
  return body;
}
