/**
 * Domain errors. Each maps to one of the seed's HTTP responses in the handlers
 * (functions/http.ts); the domain itself knows nothing of HTTP.
 */

/** 400: field errors in the seed's shape, e.g. `{ image: ["Image file too large. ..."] }`. */
export class ValidationError extends Error {
  constructor(readonly fields: Record<string, string[]>) {
    super(Object.entries(fields).map(([field, messages]) => `${field}: ${messages.join(" ")}`).join("; "));
    this.name = "ValidationError";
  }
  static field(field: string, message: string) {
    return new ValidationError({ [field]: [message] });
  }
}

/** 401: a token was sent and is not valid (a request with a bad token is never treated as anonymous). */
export class UnauthorizedError extends Error {
  constructor(message = "Authentication credentials were not valid.") {
    super(message);
    this.name = "UnauthorizedError";
  }
}

/** 413: the body is too big for a direct upload; field errors in the seed's shape, pointing at the presigned flow. */
export class PayloadTooLargeError extends ValidationError {
  constructor(fields: Record<string, string[]>) {
    super(fields);
    this.name = "PayloadTooLargeError";
  }
}

/** 403: signed in, but not allowed (e.g. not an admin). */
export class ForbiddenError extends Error {
  constructor(message = "You do not have permission to perform this action.") {
    super(message);
    this.name = "ForbiddenError";
  }
}

/** 404 `{"detail":"Not found."}`. */
export class NotFoundError extends Error {
  constructor(message = "Not found.") {
    super(message);
    this.name = "NotFoundError";
  }
}

/** 410 `{"error":"Image has expired"}`. */
export class ExpiredError extends Error {
  constructor(message = "Image has expired") {
    super(message);
    this.name = "ExpiredError";
  }
}

/** 503: the vision provider that should run is not configured (e.g. no API key). */
export class VisionNotConfiguredError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = "VisionNotConfiguredError";
  }
}

/** 500 `{"error":"Photo analysis failed","detail":...}`: the provider failed or answered nonsense. `detail` is safe to show. */
export class AnalysisFailedError extends Error {
  /** True for failures worth retrying: rate limits, server errors, timeouts, dropped connections. */
  readonly retryable: boolean;

  constructor(
    readonly detail: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(detail, options);
    this.name = "AnalysisFailedError";
    this.retryable = options?.retryable ?? false;
  }
}

/** 500: the image store failed. */
export class StorageError extends Error {
  constructor(
    readonly publicMessage: string,
    options?: { cause?: unknown },
  ) {
    super(publicMessage, options);
    this.name = "StorageError";
  }
}

/** 429 with the seed's body. */
export class RateLimitedError extends Error {
  constructor(
    readonly used: number,
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`You have made ${used} requests in the last hour. Limit: ${limit}/hour.`);
    this.name = "RateLimitedError";
  }
}

/** 503 with Retry-After: the photo is being analysed by another request that has not finished within this request's time. */
export class BusyError extends Error {
  constructor(
    readonly detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(detail);
    this.name = "BusyError";
  }
}
