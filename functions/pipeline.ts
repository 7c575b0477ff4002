import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type { AppDeps } from "../shared/usecases/deps.js";
import { requireAdmin } from "./admin/auth.js";
import { errorResponse, type HttpEvent, type HttpResult } from "./http.js";
import { multipartForm, type FormEvent, type MultipartLimits } from "./multipart.js";

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
 * The one handler pipeline: every HTTP function is this middy chain. Optional steps parse a form
 * or guard admin routes; the last step maps any error to the seed's JSON bodies (errorResponse).
 */
export function httpRoute(handle: (event: FormEvent, context: Partial<Context>) => Promise<HttpResult>, options: RouteOptions = {}): HttpHandler {
  const chain = middy<FormEvent, HttpResult, Error, Context>(handle);
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
