import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { AppDeps } from "../shared/usecases/deps.js";
import { requireAdmin } from "./admin/auth.js";
import { errorResponse, type HttpEvent, type HttpResult, requireEdgeOrigin, sourceIpOf } from "./http.js";
import { multipartForm, type FormEvent, type MultipartLimits } from "./multipart.js";
import { AppError } from "../shared/domain/errors.js";
import { flushMetrics, logContext, logFieldsOf, pseudonym, requestLog } from "./observability.js";

/** What API Gateway invokes: the event and (in Lambda) the invocation context. */
export type HttpHandler = (event: HttpEvent, context?: Partial<Context>) => Promise<HttpResult>;

export interface RouteOptions {
  /** Parse multipart bodies into `event.form`; malformed ones are a 400 on `errorField`. */
  form?: { limits: MultipartLimits; errorField: string };
  /** Admins only (static token or JWT group), and nothing the route answers is ever cached. */
  admin?: () => Pick<AppDeps, "admin" | "tokens">;
}

const NO_STORE = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

/**
 * What every answer's headers promise: no content sniffing, and JSON (uploads, analyses, listings,
 * jobs, errors: personal data) kept out of shared caches and off disk, unless the handler chose a
 * policy of its own (the public OpenAPI document, the image proxy, the admin's no-store).
 */
export function withPrivacyHeaders(response: HttpResult): Record<string, string | number | boolean> {
  const headers: Record<string, string | number | boolean> = { ...response.headers, "x-content-type-options": "nosniff" };
  const isJson = /^application\/json\b/i.test(String(headers["content-type"] ?? ""));
  return isJson && headers["cache-control"] === undefined ? { ...headers, "cache-control": "private, no-store" } : headers;
}

/**
 * The one handler pipeline: every HTTP function is this middy chain. The first step names the
 * request and, when it ends, sets the privacy headers, logs one line and flushes metrics; optional steps parse a form or
 * guard admin routes; the last step maps any error to the API's JSON error bodies (errorResponse).
 */
export function httpRoute(handle: (event: FormEvent, context: Partial<Context>) => Promise<HttpResult>, options: RouteOptions = {}): HttpHandler {
  const chain = middy<FormEvent, HttpResult, Error, Context>(handle);
  const startedAt = new WeakMap<object, number>();
  const requestIdOf = (event: FormEvent) => event.requestContext?.requestId ?? "unknown";
  // Every answer names its request (X-Request-Id: API Gateway's id); then one log line and the metrics.
  const finish = (request: { event: FormEvent; response?: HttpResult; error?: unknown }) => {
    const response = request.response;
    if (!response) return;
    const requestId = requestIdOf(request.event);
    request.response = { ...response, headers: { ...withPrivacyHeaders(response), "x-request-id": requestId } };
    flushMetrics();
    const status = response.statusCode ?? 200;
    if (!requestLog.logs(status)) return;
    requestLog.request({
      route: request.event.routeKey ?? `${request.event.requestContext?.http?.method} ${request.event.rawPath}`,
      status,
      ms: performance.now() - (startedAt.get(request.event) ?? performance.now()),
      requestId,
      client: pseudonym(sourceIpOf(request.event) ?? undefined),
      ...logFieldsOf(response),
      ...(request.error ? { code: request.error instanceof AppError ? request.error.code : "internal" } : {}),
    });
  };
  chain.use({
    before: async (request) => {
      startedAt.set(request.event, performance.now());
      logContext(request.context);
      requireEdgeOrigin(request.event);
    },
    after: async (request) => finish(request),
    // Registered first, so it runs last among the error steps: after the mapping below.
    onError: async (request) => finish(request),
  });
  if (options.form) chain.use(multipartForm(options.form.limits, options.form.errorField));
  const admin = options.admin;
  if (admin) {
    const noStore = async (request: { response?: HttpResult }) => {
      if (request.response) request.response = { ...request.response, headers: { ...request.response.headers, ...NO_STORE } };
    };
    // Its onError runs after the error mapping below (middy runs onError steps last-registered first).
    chain.use({ before: async (request) => requireAdmin(request.event, admin()), after: noStore, onError: noStore });
  }
  chain.use({
    onError: async (request) => {
      request.response = errorResponse(request.error, requestIdOf(request.event));
    },
  });
  return (event, context = {}) => chain(event, context as Context);
}
