import { timingSafeEqual } from "node:crypto";
import { edgeOriginFrom } from "../shared/runtime/edge.js";
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { identityFromClaims } from "../shared/auth/tokens.js";
import { isAdminToken } from "./admin/auth.js";
import { InvalidTokenError } from "../shared/auth/tokens.js";
import type { AppDeps } from "../shared/usecases/deps.js";
import { STYLE_NAMES, type Style } from "../shared/domain/styles.js";
import {
  AnalysisFailedError,
  AppError,
  BusyError,
  CapReachedError,
  InvalidInputError,
  type InputSubject,
  ForbiddenError,
  UnauthorizedError,
  ExpiredError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  StorageError,
  UnprocessableInputError,
  ValidationError,
  NotConfiguredError,
} from "../shared/domain/errors.js";
import { canonicalLanguage, MAX_CONTEXT_LENGTH, normalizeContext } from "../shared/domain/prompt.js";
import type { Caller } from "../shared/domain/types.js";
import type { RateLimitStatus } from "../shared/ratelimit/rate-limiter.js";

/** API Gateway HTTP API (payload 2.0) event, with JWT authorizer claims when a route has one. */
export type HttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

export function rateLimitHeaders(status: RateLimitStatus | undefined): Record<string, string> {
  if (!status) return {};
  return {
    "ratelimit-limit": String(status.limit),
    "ratelimit-remaining": String(status.remaining),
    "ratelimit-reset": String(status.resetSeconds),
  };
}

/** The request field each domain input is reported on (the API's field-error shape). */
const FIELD_OF: Record<InputSubject, string> = {
  image: "image",
  upload: "upload_id",
  "batch upload": "upload_ids",
  "content type": "content_type",
  cursor: "cursor",
  "from date": "from",
  "to date": "to",
  days: "days",
  limit: "limit",
  owner: "fingerprint",
  language: "language",
};

/**
 * The one mapping from errors to the API's error responses (the pipeline's last step). AppErrors answer
 * with their status and the API's body for it; anything else is logged and answered as a 500
 * without internals.
 */
export function errorResponse(error: unknown, requestId: string): HttpResult {
  // Every error body also names the request (the X-Request-Id header), beside the documented fields.
  const reply = (status: number, fields: object, headers?: Record<string, string>) => json(status, { ...fields, request_id: requestId }, headers);
  if (!(error instanceof AppError)) {
    console.error("unhandled error", error);
    return reply(500, { error: "Internal server error" });
  }
  if (error instanceof InvalidInputError || error instanceof UnprocessableInputError)
    return reply(error.status, { [FIELD_OF[error.subject]]: [error.message] });
  if (error instanceof ValidationError) return reply(error.status, error.fields);
  if (error instanceof UnauthorizedError) return reply(error.status, { detail: error.message }, { "www-authenticate": 'Bearer realm="photo-analysis"' });
  if (error instanceof ForbiddenError) return reply(error.status, { detail: error.message });
  if (error instanceof NotFoundError) return reply(error.status, { detail: "Not found." });
  if (error instanceof ExpiredError) return reply(error.status, { error: error.message });
  if (error instanceof RateLimitedError) {
    return reply(
      error.status,
      { error: "Rate limit exceeded", detail: error.message, retry_after: error.retryAfterSeconds },
      {
        "retry-after": String(error.retryAfterSeconds),
        "ratelimit-limit": String(error.limit),
        "ratelimit-remaining": "0",
        "ratelimit-reset": String(error.retryAfterSeconds),
      },
    );
  }
  if (error instanceof CapReachedError) return reply(error.status, { error: error.title, detail: error.message });
  if (error instanceof BusyError) {
    return reply(
      error.status,
      { error: "Photo analysis busy", detail: error.detail, retry_after: error.retryAfterSeconds },
      { "retry-after": String(error.retryAfterSeconds) },
    );
  }
  if (error instanceof NotConfiguredError) return reply(error.status, { error: "Photo analysis unavailable", detail: error.detail });
  if (error instanceof AnalysisFailedError) {
    console.error("photo analysis failed", error.detail, error.cause);
    return reply(error.status, { error: "Photo analysis failed", detail: error.detail });
  }
  if (error instanceof StorageError) {
    console.error("storage failure", error.cause ?? error);
    return reply(error.status, { error: error.publicMessage });
  }
  return reply(error.status, error.expose ? { error: error.message, code: error.code } : { error: "Internal server error" });
}

function authorizerClaims(event: HttpEvent): Record<string, unknown> | undefined {
  const authorizer = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer;
  return authorizer?.jwt?.claims;
}

/** The header CloudFront adds to requests it forwards (the stack's edge), carrying PHOTO_ANALYSIS_ORIGIN_SECRET. */
export const EDGE_ORIGIN_HEADER = "x-photo-analysis-origin";
/** The header the edge's viewer-request function sets to the client's address (whatever the client sent under that name). */
export const EDGE_VIEWER_HEADER = "x-photo-analysis-viewer";

let edgeSecret: string | undefined | null = null;
function edgeOriginSecret(): string | undefined {
  if (edgeSecret === null) edgeSecret = edgeOriginFrom(process.env).secret;
  return edgeSecret;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Behind the edge, a request must have come through it (and its WAF): one that reached the API
 * directly is a 403. Without an edge, every request passes.
 */
export function requireEdgeOrigin(event: HttpEvent): void {
  const secret = edgeOriginSecret();
  if (!secret) return;
  const presented = event.headers?.[EDGE_ORIGIN_HEADER];
  if (!presented || !sameSecret(presented, secret)) throw new ForbiddenError("Use this API through its public address.");
}

/**
 * The client's address: API Gateway's view of the connection, or behind the edge CloudFront's view
 * of it (the viewer-request function writes it into EDGE_VIEWER_HEADER, replacing whatever the client
 * sent), trusted only because requireEdgeOrigin let the request in. Never a header only the client
 * sets (X-Forwarded-For).
 */
export function sourceIpOf(event: HttpEvent): string | null {
  const viewer = edgeOriginSecret() ? event.headers?.[EDGE_VIEWER_HEADER] : undefined;
  return viewer || event.requestContext?.http?.sourceIp || null;
}

/** The bearer token of the Authorization header (undefined without one; a malformed header is a 401). */
export function bearerToken(event: HttpEvent): string | undefined {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  if (!header) return undefined;
  const token = /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1];
  if (!token) throw new UnauthorizedError("Authorization header must be 'Bearer <token>'.");
  return token;
}

/**
 * Who is calling, with the groups a signed-in user's token grants. A signed-in user comes from claims
 * API Gateway's JWT authorizer verified, or else from a bearer token this function verifies; a token
 * that does not verify is a 401, never an anonymous request. The IP is API Gateway's view of the
 * connection, never a client header.
 */
async function identify(event: HttpEvent, deps: Pick<AppDeps, "tokens">, fingerprint: string | null): Promise<{ caller: Caller; groups: string[] }> {
  const anonymous: Caller = { userId: null, username: null, fingerprint, ipAddress: sourceIpOf(event) };
  const verified = authorizerClaims(event);
  const fromAuthorizer = verified && identityFromClaims(verified);
  if (fromAuthorizer) return { caller: { ...anonymous, userId: fromAuthorizer.userId, username: fromAuthorizer.username }, groups: fromAuthorizer.groups };

  const token = bearerToken(event);
  if (!token) return { caller: anonymous, groups: [] };
  if (!deps.tokens) throw new UnauthorizedError("This server does not accept sign-in tokens (no issuer configured).");
  try {
    const identity = await deps.tokens.verify(token);
    return { caller: { ...anonymous, userId: identity.userId, username: identity.username }, groups: identity.groups };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw new UnauthorizedError("Given token not valid: it is expired, malformed or not from the configured issuer.");
    throw error;
  }
}

export async function resolveCaller(event: HttpEvent, deps: Pick<AppDeps, "tokens">, fingerprint: string | null): Promise<Caller> {
  return (await identify(event, deps, fingerprint)).caller;
}

/**
 * Who is reading an upload: the caller, and whether they are an admin (the static admin token, or a
 * signed-in user in the admin group), who sees every upload as its owner does.
 */
export async function resolveViewer(
  event: HttpEvent,
  deps: Pick<AppDeps, "tokens" | "admin">,
  fingerprint: string | null,
): Promise<{ caller: Caller; admin: boolean }> {
  const token = bearerToken(event);
  if (token && isAdminToken(token, deps)) return { caller: { userId: null, username: null, fingerprint, ipAddress: sourceIpOf(event) }, admin: true };
  const { caller, groups } = await identify(event, deps, fingerprint);
  return { caller, admin: caller.userId !== null && groups.includes(deps.admin.group) };
}

/** A host (name or address, optional port) fit for a link: no scheme, path, credentials or spaces. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The API's public origin, for links in answers (image_url, status_url, events_url, Location). Never
 * from what the client says: the configured PHOTO_ANALYSIS_PUBLIC_BASE_URL (the stack sets it; the
 * local server sets its own address), else the domain API Gateway itself reports. X-Forwarded-Proto
 * and X-Forwarded-Host count only behind a proxy the deployment trusts (PHOTO_ANALYSIS_TRUSTED_PROXY),
 * and only when they are a plain scheme and host.
 */
export function publicBaseUrl(event: HttpEvent, deps: Pick<AppDeps, "publicBaseUrl" | "trustedProxy">): string {
  if (deps.publicBaseUrl) return deps.publicBaseUrl.replace(/\/+$/, "");
  if (deps.trustedProxy) {
    const headers = event.headers ?? {};
    const proto = headers["x-forwarded-proto"]?.split(",")[0]?.trim().toLowerCase();
    const host = (headers["x-forwarded-host"] ?? headers.host)?.split(",")[0]?.trim();
    if ((proto === "http" || proto === "https") && host && HOST.test(host)) return `${proto}://${host}`;
  }
  const domain = event.requestContext.domainName;
  return HOST.test(domain ?? "") ? `https://${domain}` : "";
}

/** Validates the optional `fingerprint` field as the API always has: present means non-blank, at most 255 characters. */
export function fingerprintErrors(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== "string") return ["Not a valid string."];
  if (value.trim() === "") return ["This field may not be blank."];
  if (value.length > 255) return ["Ensure this field has no more than 255 characters."];
  return [];
}

/**
 * JSON bodies are small (an upload id, a fingerprint, a context of 200 characters, ten upload ids):
 * anything larger is refused before it is decoded or parsed (413), and nesting is counted by a
 * linear scan before JSON.parse sees the text (400), so a 4 MB body of brackets costs nothing.
 */
export const MAX_JSON_BODY_BYTES = 64 * 1024;
export const MAX_JSON_DEPTH = 8;

/** The 413 for a JSON body over MAX_JSON_BODY_BYTES (also what the local server answers without reading further). */
export function jsonTooLarge(): PayloadTooLargeError {
  return new PayloadTooLargeError({ non_field_errors: [`Request body too large: at most ${MAX_JSON_BODY_BYTES / 1024} KB of JSON.`] });
}

/** Whether an event's body is over `maxBytes` once decoded, told without decoding it (base64: 3 bytes per 4 characters, less padding). */
export function bodyOver(body: string, isBase64Encoded: boolean | undefined, maxBytes: number): boolean {
  if (isBase64Encoded) return Math.floor((body.length * 3) / 4) - (body.endsWith("==") ? 2 : body.endsWith("=") ? 1 : 0) > maxBytes;
  // A UTF-16 length over the limit is over it in UTF-8 too; only a shorter one needs counting.
  return body.length > maxBytes || Buffer.byteLength(body) > maxBytes;
}

/** Whether brackets outside strings nest deeper than `maxDepth` (stops at the first level too deep). */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index++; // a backslash escapes the next character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
  return false;
}

/** The request's JSON object body ({} when empty); malformed JSON is a 400 in the API's field-error shape, an oversized body a 413. */
export function jsonBody(event: HttpEvent): Record<string, unknown> {
  if (event.body === undefined || event.body === null || event.body === "") return {};
  if (typeof event.body === "object") return event.body as Record<string, unknown>;
  if (bodyOver(event.body, event.isBase64Encoded, MAX_JSON_BODY_BYTES)) throw jsonTooLarge();
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) throw new ValidationError({ non_field_errors: [`JSON nested too deeply: at most ${MAX_JSON_DEPTH} levels.`] });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ValidationError({ non_field_errors: [`JSON parse error - ${(error as Error).message}`] });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError({ non_field_errors: ["Expected a JSON object."] });
  }
  return parsed as Record<string, unknown>;
}

export function isJsonContentType(contentType: string | undefined): boolean {
  return /^application\/json\b/i.test(contentType ?? "");
}

export function isJsonRequest(event: HttpEvent): boolean {
  return isJsonContentType(event.headers?.["content-type"] ?? event.headers?.["Content-Type"]);
}

/** What a caller may add to an analysis: style, context and language (validated; absent when not given). */
export interface PromptFields {
  style?: Style;
  context?: string;
  language?: string;
}

/** Reads and validates the optional prompt fields from a form or a JSON body; problems go into `errors`. */
export function parsePromptFields(field: (name: string) => unknown, errors: Record<string, string[]>): PromptFields {
  return { style: parseStyle(field("style"), errors), context: parseContext(field("context"), errors), language: parseLanguage(field("language"), errors) };
}

function parseContext(value: unknown, errors: Record<string, string[]>): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") {
    errors.context = ["Not a valid string."];
    return undefined;
  }
  const context = normalizeContext(value);
  if (context.length > MAX_CONTEXT_LENGTH) errors.context = [`Ensure this field has no more than ${MAX_CONTEXT_LENGTH} characters.`];
  return context || undefined;
}

function parseLanguage(value: unknown, errors: Record<string, string[]>): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const language = typeof value === "string" ? canonicalLanguage(value.trim()) : null;
  if (!language) errors.language = [`"${String(value).slice(0, 40)}" is not a valid BCP 47 language tag (for example en, es, pt-BR).`];
  return language ?? undefined;
}

/** Validates the optional `style` field against the fixed list; returns it or collects an error. */
export function parseStyle(value: unknown, errors: Record<string, string[]>): Style | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null || first === "") return undefined;
  if (typeof first === "string" && (STYLE_NAMES as string[]).includes(first)) return first as Style;
  errors.style = [`"${String(first)}" is not a valid choice. Choose one of: ${STYLE_NAMES.join(", ")}.`];
  return undefined;
}

/** Where a caller follows its async work: the status URL (carrying the fingerprint that owns it) and the WebSocket. */
export function asyncLinks(event: HttpEvent, deps: Pick<AppDeps, "publicBaseUrl" | "trustedProxy" | "eventsUrl">, path: string, fingerprint: string | null) {
  const query = fingerprint ? `?fingerprint=${encodeURIComponent(fingerprint)}` : "";
  const base = publicBaseUrl(event, deps);
  const events = deps.eventsUrl ?? `${base.replace(/^http/, "ws")}/api/photo-analysis/events/`;
  return { status_url: `${base}${path}${query}`, events_url: `${events}${query}` };
}

/** The fingerprint a GET names (`?fingerprint=`), validated like the upload field. */
export function queryFingerprint(event: HttpEvent): string | null {
  const value = event.queryStringParameters?.fingerprint;
  const problems = fingerprintErrors(value);
  if (problems.length) throw new ValidationError({ fingerprint: problems });
  return value ? value.trim() : null;
}

/** RFC 7240: `Prefer: respond-async` asks for a 202 and a job instead of waiting for the answer. */
export function prefersAsync(event: HttpEvent): boolean {
  const prefer = event.headers?.prefer ?? event.headers?.Prefer ?? "";
  return prefer.split(",").some((preference) => preference.trim().toLowerCase().split(/\s*;/)[0] === "respond-async");
}
