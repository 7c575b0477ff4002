import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { identityFromClaims } from "../shared/auth/tokens.js";
import { InvalidTokenError } from "../shared/auth/tokens.js";
import type { AppDeps } from "../shared/usecases/deps.js";
import { STYLE_NAMES, type Style } from "../shared/vision/styles.js";
import {
  AnalysisFailedError,
  AppError,
  BusyError,
  InvalidInputError,
  type InputSubject,
  ForbiddenError,
  UnauthorizedError,
  ExpiredError,
  NotFoundError,
  RateLimitedError,
  StorageError,
  UnprocessableInputError,
  ValidationError,
  VisionNotConfiguredError,
} from "../shared/domain/errors.js";
import { canonicalLanguage, MAX_CONTEXT_LENGTH, normaliseContext } from "../shared/domain/prompt.js";
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

/** The request field each domain input is reported on (the seed's field-error shape). */
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
  "presigned uploads": "non_field_errors",
  language: "language",
};

/**
 * The one mapping from errors to the seed's responses (the pipeline's last step). AppErrors answer
 * with their status and the seed's body for it; anything else is logged and answered as a 500
 * without internals.
 */
export function errorResponse(error: unknown, requestId: string): HttpResult {
  // Every error body also names the request (the X-Request-Id header), beside the seed's fields.
  const reply = (status: number, fields: object, headers?: Record<string, string>) => json(status, { ...fields, request_id: requestId }, headers);
  if (!(error instanceof AppError)) {
    console.error("unhandled error", error);
    return reply(500, { error: "Internal server error" });
  }
  if (error instanceof InvalidInputError || error instanceof UnprocessableInputError) return reply(error.status, { [FIELD_OF[error.subject]]: [error.message] });
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
  if (error instanceof BusyError) {
    return reply(error.status, { error: "Photo analysis busy", detail: error.detail, retry_after: error.retryAfterSeconds }, { "retry-after": String(error.retryAfterSeconds) });
  }
  if (error instanceof VisionNotConfiguredError) return reply(error.status, { error: "Photo analysis unavailable", detail: error.detail });
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

/**
 * Who is calling. A signed-in user comes from claims API Gateway's JWT authorizer verified, or
 * else from a bearer token this function verifies; a token that does not verify is a 401, never
 * an anonymous request. The IP is API Gateway's view of the connection, never a client header.
 */
export async function resolveCaller(event: HttpEvent, deps: Pick<AppDeps, "tokens">, fingerprint: string | null): Promise<Caller> {
  const anonymous: Caller = { userId: null, username: null, fingerprint, ipAddress: event.requestContext.http.sourceIp || null };
  const verified = authorizerClaims(event);
  const fromAuthorizer = verified && identityFromClaims(verified);
  if (fromAuthorizer) return { ...anonymous, userId: fromAuthorizer.userId, username: fromAuthorizer.username };

  const header = event.headers?.authorization ?? event.headers?.Authorization;
  if (!header) return anonymous;
  const token = /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1];
  if (!token) throw new UnauthorizedError("Authorization header must be 'Bearer <token>'.");
  if (!deps.tokens) throw new UnauthorizedError("This server does not accept sign-in tokens (no issuer configured).");
  try {
    const identity = await deps.tokens.verify(token);
    return { ...anonymous, userId: identity.userId, username: identity.username };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw new UnauthorizedError("Given token not valid: it is expired, malformed or not from the configured issuer.");
    throw error;
  }
}

/** The API's public origin, for image_url: the configured one (PHOTO_ANALYSIS_PUBLIC_BASE_URL, e.g. behind a CDN), else what the request says. */
export function publicBaseUrl(event: HttpEvent, deps: Pick<AppDeps, "publicBaseUrl">): string {
  if (deps.publicBaseUrl) return deps.publicBaseUrl;
  const headers = event.headers ?? {};
  const proto = headers["x-forwarded-proto"] ?? "https";
  const host = headers.host ?? event.requestContext.domainName;
  return `${proto}://${host}`;
}

/** Validates the optional `fingerprint` field as DRF would: present means non-blank, at most 255 characters. */
export function fingerprintErrors(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== "string") return ["Not a valid string."];
  if (value.trim() === "") return ["This field may not be blank."];
  if (value.length > 255) return ["Ensure this field has no more than 255 characters."];
  return [];
}

/** The request's JSON object body ({} when empty); malformed JSON is a 400 in DRF's shape. */
export function jsonBody(event: HttpEvent): Record<string, unknown> {
  if (event.body === undefined || event.body === null || event.body === "") return {};
  if (typeof event.body === "object") return event.body as Record<string, unknown>;
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
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

export function isJsonRequest(event: HttpEvent): boolean {
  const contentType = event.headers?.["content-type"] ?? event.headers?.["Content-Type"] ?? "";
  return /^application\/json\b/i.test(contentType);
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
  const context = normaliseContext(value);
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
export function asyncLinks(event: HttpEvent, deps: Pick<AppDeps, "publicBaseUrl" | "eventsUrl">, path: string, fingerprint: string | null) {
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
