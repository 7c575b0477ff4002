/**
 * Domain errors. Every error the service answers on purpose extends AppError, which carries the
 * status the handlers answer with, a stable `code` for clients and logs, and whether its message
 * may be shown (`expose`). The one mapping to the API's JSON error bodies is in functions/http.ts; the
 * domain names no form fields: InvalidInputError says which input (`subject`) was wrong, and the
 * handler layer turns that into the API's field errors.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** The message is written for clients (never internals). */
  readonly expose: boolean = true;
}

/** What a client sent that was wrong, in domain words; functions/http.ts maps each to its request field. */
export type InputSubject = "image" | "upload" | "batch upload" | "content type" | "cursor" | "from date" | "to date" | "days" | "limit" | "owner" | "language";

/** 422: a well-formed input this server cannot serve (e.g. a language its provider does not write). */
export class UnprocessableInputError extends AppError {
  readonly status = 422;
  readonly code = "unprocessable";
  constructor(
    readonly subject: InputSubject,
    message: string,
  ) {
    super(message);
    this.name = "UnprocessableInputError";
  }
}

/** 400: one input is invalid; the message is the API's for that input. */
export class InvalidInputError extends AppError {
  readonly status = 400;
  readonly code = "invalid_input";
  constructor(
    readonly subject: InputSubject,
    message: string,
  ) {
    super(message);
    this.name = "InvalidInputError";
  }
}

/** 400: field errors in the API's shape, e.g. `{ image: ["No file was submitted."] }` (raised by handlers). */
export class ValidationError extends AppError {
  readonly status: number = 400;
  readonly code: string = "invalid";
  constructor(readonly fields: Record<string, string[]>) {
    super(
      Object.entries(fields)
        .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
        .join("; "),
    );
    this.name = "ValidationError";
  }
  static field(field: string, message: string) {
    return new ValidationError({ [field]: [message] });
  }
}

/** 413: the body is too big for a direct upload; field errors in the API's shape, pointing at the presigned flow. */
export class PayloadTooLargeError extends ValidationError {
  override readonly status = 413;
  override readonly code = "too_large";
  constructor(fields: Record<string, string[]>) {
    super(fields);
    this.name = "PayloadTooLargeError";
  }
}

/** 401: a token was sent and is not valid (a request with a bad token is never treated as anonymous). */
export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code = "unauthorized";
  constructor(message = "Authentication credentials were not valid.") {
    super(message);
    this.name = "UnauthorizedError";
  }
}

/** 403: signed in, but not allowed (e.g. not an admin). */
export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = "forbidden";
  constructor(message = "You do not have permission to perform this action.") {
    super(message);
    this.name = "ForbiddenError";
  }
}

/** 404 `{"detail":"Not found."}`. */
export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = "not_found";
  constructor(message = "Not found.") {
    super(message);
    this.name = "NotFoundError";
  }
}

/** 410 `{"error":"Image has expired"}`. */
export class ExpiredError extends AppError {
  readonly status = 410;
  readonly code = "expired";
  constructor(message = "Image has expired") {
    super(message);
    this.name = "ExpiredError";
  }
}

/**
 * 503 `{"error":"Photo analysis unavailable","detail":...}`: this server lacks something the request
 * needs (the job queue, S3 staging, a provider's key; requireDep in shared/usecases/deps.ts). `detail`
 * says what, and which setting gives it.
 */
export class NotConfiguredError extends AppError {
  readonly status = 503;
  readonly code: string = "not_configured";
  constructor(readonly detail: string) {
    super(detail);
    this.name = "NotConfiguredError";
  }
}

/** The vision provider that should run is not configured (e.g. no API key). */
export class VisionNotConfiguredError extends NotConfiguredError {
  override readonly code = "vision_not_configured";
  constructor(detail: string) {
    super(detail);
    this.name = "VisionNotConfiguredError";
  }
}

/** 500 `{"error":"Photo analysis failed","detail":...}`: the provider failed or answered nonsense. `detail` is safe to show. */
export class AnalysisFailedError extends AppError {
  readonly status = 500;
  readonly code = "analysis_failed";
  /** True for failures worth retrying: rate limits, server errors, timeouts, dropped connections. */
  readonly retryable: boolean;
  /** True when a provider's reply arrived (the call was billed) and was unusable: the caller's unit is not given back. */
  readonly billed: boolean;

  constructor(
    readonly detail: string,
    options?: { cause?: unknown; retryable?: boolean; billed?: boolean },
  ) {
    super(detail, options);
    this.name = "AnalysisFailedError";
    this.retryable = options?.retryable ?? false;
    this.billed = options?.billed ?? false;
  }
}

/** 500: the image store failed; only `publicMessage` is shown. */
export class StorageError extends AppError {
  readonly status = 500;
  readonly code = "storage_failed";
  constructor(
    readonly publicMessage: string,
    options?: { cause?: unknown },
  ) {
    super(publicMessage, options);
    this.name = "StorageError";
  }
}

/** 429 with the API's rate-limit body. */
export class RateLimitedError extends AppError {
  readonly status = 429;
  readonly code = "rate_limited";
  constructor(
    readonly used: number,
    readonly limit: number,
    readonly retryAfterSeconds: number,
    /** Said after the API's sentence: how to lift the limit where that is the caller's to do (npm start). */
    note?: string,
  ) {
    super(`You have made ${used} requests in the last hour. Limit: ${limit}/hour.${note ? ` ${note}` : ""}`);
    this.name = "RateLimitedError";
  }
}

/** 429: a cap on what one caller or address may hold at once (WebSocket connections); `title` names it. */
export class CapReachedError extends AppError {
  readonly status = 429;
  readonly code = "cap_reached";
  constructor(
    readonly title: string,
    message: string,
  ) {
    super(message);
    this.name = "CapReachedError";
  }
}

/** 503 with Retry-After: the photo is being analysed by another request that has not finished within this request's time. */
export class BusyError extends AppError {
  readonly status = 503;
  readonly code = "busy";
  constructor(
    readonly detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(detail);
    this.name = "BusyError";
  }
}
