import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { AppDeps } from "../shared/usecases/deps.js";
import { requireAdmin } from "./admin/auth.js";
import { errorResponse, type HttpEvent, type HttpResult } from "./http.js";
import { multipartForm, type FormEvent, type MultipartLimits } from "./multipart.js";
import { flushMetrics, logContext, pseudonym, requestLog, type RequestLine } from "./observability.js";

/** What API Gateway invokes: the event and (in Lambda) the invocation context. */
export type HttpHandler = (event: HttpEvent, context?: Partial<Context>) => Promise<HttpResult>;

export interface RouteOptions {
  /** Parse multipart bodies into `event.form`; malformed ones are a 400 on `errorField`. */
  form?: { limits: MultipartLimits; errorField: string };
  /** Admins only (static token or JWT group), and nothing the route answers is ever cached. */
  admin?: () => Pick<AppDeps, "admin" | "tokens">;
}

const NO_STORE = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

/** What the request line says about an answer: cache and provider for uploads, the error code for errors. */
function describe(result: HttpResult): Pick<RequestLine, "cached" | "provider" | "model" | "code"> {
  if (typeof result.body !== "string" || !String(result.headers?.["content-type"] ?? "").startsWith("application/json")) return {};
  try {
    const body = JSON.parse(result.body) as { cached?: boolean; analysis?: { provider?: string; ai_vision_model?: string }; code?: string };
    return { cached: body.cached, provider: body.analysis?.provider, model: body.analysis?.ai_vision_model, code: body.code };
  } catch {
    return {};
  }
}

/** Every answer names its request (X-Request-Id: API Gateway's id), and every error body carries it too. */
function withRequestId(result: HttpResult, requestId: string, isError: boolean): HttpResult {
  let body = result.body;
  if (isError && typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = JSON.stringify({ ...parsed, request_id: requestId });
    } catch {
      // not JSON: leave the body alone
    }
  }
  return { ...result, body, headers: { ...result.headers, "x-request-id": requestId } };
}

/**
 * The one handler pipeline: every HTTP function is this middy chain. The first step names the
 * request and, when it ends, logs one line and flushes metrics; optional steps parse a form or
 * guard admin routes; the last step maps any error to the seed's JSON bodies (errorResponse).
 */
export function httpRoute(handle: (event: FormEvent, context: Partial<Context>) => Promise<HttpResult>, options: RouteOptions = {}): HttpHandler {
  const chain = middy<FormEvent, HttpResult, Error, Context>(handle);
  const startedAt = new WeakMap<object, number>();
  const finish = (request: { event: FormEvent; response?: HttpResult }, isError: boolean) => {
    const requestId = request.event.requestContext?.requestId ?? "unknown";
    if (!request.response) return;
    request.response = withRequestId(request.response, requestId, isError);
    flushMetrics();
    if (!requestLog.logs(request.response.statusCode ?? 200)) return;
    requestLog.request({
      route: request.event.routeKey ?? `${request.event.requestContext?.http?.method} ${request.event.rawPath}`,
      status: request.response.statusCode ?? 200,
      ms: performance.now() - (startedAt.get(request.event) ?? performance.now()),
      requestId,
      client: pseudonym(request.event.requestContext?.http?.sourceIp),
      ...describe(request.response),
    });
  };
  chain.use({
    before: async (request) => {
      startedAt.set(request.event, performance.now());
      logContext(request.context);
    },
    after: async (request) => finish(request, false),
    // Registered first, so it runs last among the error steps: after the mapping below.
    onError: async (request) => finish(request, true),
  });
  if (options.form) chain.use(multipartForm(options.form.limits, options.form.errorField));
  const admin = options.admin;
  if (admin) {
    chain.use({
      before: async (request) => {
        await requireAdmin(request.event, admin());
      },
      after: async (request) => {
        if (request.response) request.response = { ...request.response, headers: { ...request.response.headers, ...NO_STORE } };
      },
      // Runs after the error mapping below (middy runs onError steps last-registered first).
      onError: async (request) => {
        if (request.response) request.response = { ...request.response, headers: { ...request.response.headers, ...NO_STORE } };
      },
    });
  }
  chain.use({
    onError: async (request) => {
      request.response = errorResponse(request.error);
    },
  });
  return (event, context = {}) => chain(event, context as Context);
}
