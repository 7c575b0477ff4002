import type { components } from "./api-types.js";

/** The service's error bodies, as the OpenAPI document gives them. */
export type FieldErrors = components["schemas"]["FieldErrors"];
export type DetailError = components["schemas"]["DetailError"];
export type ErrorBody = components["schemas"]["Error"];

/**
 * Any answer the client did not expect: the status, the body as sent (parsed when it is JSON) and
 * the request's id (X-Request-Id), which the service's logs carry too.
 */
export class ApiError extends Error {
  override readonly name: string = "ApiError";
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly requestId: string | undefined,
    message = `HTTP ${status}`,
  ) {
    super(message);
  }
}

/** 400, 413 or 422: the API's field errors, e.g. {"image": ["Upload a valid image. …"]}. */
export class FieldError extends ApiError {
  override readonly name = "FieldError";
  /** Each field's messages (request_id left out). */
  readonly fields: Record<string, string[]>;
  constructor(
    status: number,
    override readonly body: FieldErrors,
    requestId: string | undefined,
  ) {
    const fields = Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string[]] => Array.isArray(entry[1])));
    super(status, body, requestId, Object.values(fields).flat().join(" ") || `HTTP ${status}`);
    this.fields = fields;
  }
}

/** 401, 403 or 404: {"detail": "…"}. */
export class DetailedError extends ApiError {
  override readonly name = "DetailedError";
  constructor(
    status: number,
    override readonly body: DetailError,
    requestId: string | undefined,
  ) {
    super(status, body, requestId, body.detail);
  }
}

/** 429: the caller's hourly allowance is spent; `retryAfter` seconds until a unit is free again. */
export class RateLimitError extends ApiError {
  override readonly name = "RateLimitError";
  readonly retryAfter: number;
  constructor(
    override readonly body: ErrorBody,
    requestId: string | undefined,
    retryAfterHeader: string | null,
  ) {
    super(429, body, requestId, body.detail ? `${body.error}: ${body.detail}` : body.error);
    this.retryAfter = body.retry_after ?? (Number(retryAfterHeader) || 0);
  }
}

/** 410, 500 or 503: {"error": "…", "detail"?: "…", "retry_after"?: n}. */
export class ServiceError extends ApiError {
  override readonly name = "ServiceError";
  constructor(
    status: number,
    override readonly body: ErrorBody,
    requestId: string | undefined,
  ) {
    super(status, body, requestId, body.detail ? `${body.error}: ${body.detail}` : body.error);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isFieldErrors(body: unknown): body is FieldErrors {
  return (
    isObject(body) &&
    Object.entries(body).every(([name, value]) =>
      name === "request_id" ? typeof value === "string" : Array.isArray(value) && value.every((message) => typeof message === "string"),
    )
  );
}

function isDetailError(body: unknown): body is DetailError {
  return isObject(body) && typeof body.detail === "string";
}

function isErrorBody(body: unknown): body is ErrorBody {
  return isObject(body) && typeof body.error === "string";
}

/** The typed error for an answer with this status and body (an ApiError when the body is not the documented one). */
export function errorFor(status: number, body: unknown, requestId: string | undefined, retryAfterHeader: string | null = null): ApiError {
  if ((status === 400 || status === 413 || status === 422) && isFieldErrors(body)) return new FieldError(status, body, requestId);
  if ((status === 401 || status === 403 || status === 404 || status === 405) && isDetailError(body)) return new DetailedError(status, body, requestId);
  if (status === 429 && isErrorBody(body)) return new RateLimitError(body, requestId, retryAfterHeader);
  if (isErrorBody(body)) return new ServiceError(status, body, requestId);
  return new ApiError(status, body, requestId);
}
