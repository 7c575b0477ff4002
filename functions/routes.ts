/**
 * The one route table. The CDK stack makes one Lambda function and one API Gateway route per
 * entry; the local server (`npm start`) routes requests to the same handler modules. Paths are
 * the seed's, with their trailing slashes; API Gateway HTTP API routes cannot end in "/" but
 * send "/x/" to the "/x" route, so the stack registers them without it and both forms work.
 */

import type { DepsProvider } from "./deps.js";
import type { HttpHandler } from "./pipeline.js";
import type { WebSocketHandler } from "./websocket.js";

export type TableAccess = "none" | "read" | "readwrite";
export type BucketAccess = "none" | "read" | "readwrite" | "delete";
/** Access to staged uploads (`uploads/`): signing presigned POSTs; reading and removing them; all of that plus storing photos for jobs. */
export type StagingAccess = "none" | "sign" | "consume" | "stage";

/** A route's handler factory: the same one its Lambda module's `handler` export is made with. */
export type HandlerFactory = (getDeps: DepsProvider) => HttpHandler;

export interface RouteAccess {
  table: TableAccess;
  bucket: BucketAccess;
  staging: StagingAccess;
  visionSecrets: boolean;
  secretPresence?: boolean;
  /** Queues jobs for the worker (SQS SendMessage). */
  queue?: boolean;
  /** Posts progress to WebSocket connections (API Gateway's management API). */
  events?: boolean;
}

export interface HttpRoute {
  /** Stable identifier: CDK construct id and log name. */
  id: string;
  method: "GET" | "POST";
  path: string;
  /** Handler module, relative to the project root; exports `handler` (what the CDK stack bundles). */
  entry: string;
  /** The same module's factory, imported only when called (the local server; the stack never loads handlers). */
  factory: () => Promise<HandlerFactory>;
  memoryMb: number;
  timeoutSeconds: number;
  /** visionSecrets: read API keys; secretPresence: only learn whether they exist (no decryption). */
  access: RouteAccess;
  /** Files the stack puts in the bundle's `static` folder (a web page's). */
  staticAssets?: StaticAssets;
  /** Deployed only when this stack option is on (`-c tryPage=true`); always served by `npm start`. */
  optional?: "tryPage";
}

export interface StaticAssets {
  /** The page's own folder, copied whole. */
  folder: string;
  /** Files of npm packages (paths under node_modules), copied beside them. */
  packageFiles?: string[];
  /** The try page's script, built from its sources (functions/try-page/build-options.ts). */
  buildTryPage?: boolean;
}

const ADMIN_ASSETS: StaticAssets = { folder: "functions/admin-page/static", packageFiles: ["chart.js/dist/chart.umd.min.js"] };
const TRY_PAGE_ASSETS: StaticAssets = { folder: "functions/try-page/static", buildTryPage: true };
const DOCS_ASSETS: StaticAssets = { folder: "functions/docs-page/static", packageFiles: ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui.css"] };
const PAGE_ACCESS: RouteAccess = { table: "none", bucket: "none", staging: "none", visionSecrets: false };

export const HTTP_ROUTES: readonly HttpRoute[] = [
  {
    id: "Upload",
    method: "POST",
    path: "/api/photo-analysis/upload/",
    entry: "functions/upload/handler.ts",
    factory: async () => (await import("./upload/handler.js")).createUploadHandler,
    memoryMb: 1769, // one full vCPU: image decoding and the local models are CPU-bound
    timeoutSeconds: 60,
    access: { table: "readwrite", bucket: "readwrite", staging: "stage", visionSecrets: true, queue: true },
  },
  // Async analysis: these only stage photos and queue jobs (the worker below analyses them).
  {
    id: "Batch",
    method: "POST",
    path: "/api/photo-analysis/batch/",
    entry: "functions/batch/handler.ts",
    factory: async () => (await import("./batch/handler.js")).createBatchHandler,
    memoryMb: 512,
    timeoutSeconds: 20,
    access: { table: "readwrite", bucket: "none", staging: "stage", visionSecrets: false, queue: true },
  },
  {
    id: "BatchStatus",
    method: "GET",
    path: "/api/photo-analysis/batch/{batch_id}/",
    entry: "functions/batch-status/handler.ts",
    factory: async () => (await import("./batch-status/handler.js")).createBatchStatusHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: "read", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "Job",
    method: "GET",
    path: "/api/photo-analysis/jobs/{job_id}/",
    entry: "functions/job/handler.ts",
    factory: async () => (await import("./job/handler.js")).createJobHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: "read", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "UploadUrl",
    method: "POST",
    path: "/api/photo-analysis/upload-url/",
    entry: "functions/upload-url/handler.ts",
    factory: async () => (await import("./upload-url/handler.js")).createUploadUrlHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: "readwrite", bucket: "none", staging: "sign", visionSecrets: false },
  },
  {
    id: "Health",
    method: "GET",
    path: "/api/photo-analysis/health/",
    entry: "functions/health/handler.ts",
    factory: async () => (await import("./health/handler.js")).createHealthHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: "read", bucket: "read", staging: "none", visionSecrets: false, secretPresence: true },
  },
  {
    id: "OpenApi",
    method: "GET",
    path: "/api/photo-analysis/openapi.json",
    entry: "functions/openapi/handler.ts",
    factory: async () => (await import("./openapi/handler.js")).createOpenApiHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: "none", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "Recent",
    method: "GET",
    path: "/api/photo-analysis/recent/",
    entry: "functions/recent/handler.ts",
    factory: async () => (await import("./recent/handler.js")).createRecentHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: "read", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "GetAnalysis",
    method: "GET",
    path: "/api/photo-analysis/{id}/",
    entry: "functions/get-analysis/handler.ts",
    factory: async () => (await import("./get-analysis/handler.js")).createGetAnalysisHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: "read", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "Image",
    method: "GET",
    path: "/api/photo-analysis/{id}/image/",
    entry: "functions/image/handler.ts",
    factory: async () => (await import("./image/handler.js")).createImageHandler,
    memoryMb: 512,
    timeoutSeconds: 15,
    access: { table: "read", bucket: "read", staging: "none", visionSecrets: false },
  },
  // Read-only admin: its own functions, never mixed into the public handlers.
  {
    id: "AdminList",
    method: "GET",
    path: "/api/admin/analyses/",
    entry: "functions/admin-list/handler.ts",
    factory: async () => (await import("./admin-list/handler.js")).createAdminListHandler,
    memoryMb: 256,
    timeoutSeconds: 15,
    access: { table: "read", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "AdminDetail",
    method: "GET",
    path: "/api/admin/analyses/{id}/",
    entry: "functions/admin-detail/handler.ts",
    factory: async () => (await import("./admin-detail/handler.js")).createAdminDetailHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { table: "read", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "AdminStats",
    method: "GET",
    path: "/api/admin/stats/",
    entry: "functions/admin-stats/handler.ts",
    factory: async () => (await import("./admin-stats/handler.js")).createAdminStatsHandler,
    memoryMb: 256,
    timeoutSeconds: 15,
    access: { table: "read", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "AdminPage",
    method: "GET",
    path: "/admin/",
    entry: "functions/admin-page/handler.ts",
    factory: async () => (await import("./admin-page/handler.js")).createAdminPageHandler,
    memoryMb: 128,
    timeoutSeconds: 5,
    access: PAGE_ACCESS,
    staticAssets: ADMIN_ASSETS,
  },
  {
    id: "AdminAssets",
    method: "GET",
    path: "/admin/assets/{file}",
    entry: "functions/admin-page/handler.ts",
    factory: async () => (await import("./admin-page/handler.js")).createAdminPageHandler,
    memoryMb: 128,
    timeoutSeconds: 5,
    access: PAGE_ACCESS,
    staticAssets: ADMIN_ASSETS,
  },
  // Interactive API docs (Swagger UI, from npm) for the served OpenAPI document.
  {
    id: "DocsPage",
    method: "GET",
    path: "/docs/",
    entry: "functions/docs-page/handler.ts",
    factory: async () => (await import("./docs-page/handler.js")).createDocsPageHandler,
    memoryMb: 128,
    timeoutSeconds: 5,
    access: PAGE_ACCESS,
    staticAssets: DOCS_ASSETS,
  },
  {
    id: "DocsAssets",
    method: "GET",
    path: "/docs/assets/{file}",
    entry: "functions/docs-page/handler.ts",
    factory: async () => (await import("./docs-page/handler.js")).createDocsPageHandler,
    memoryMb: 128,
    timeoutSeconds: 5,
    access: PAGE_ACCESS,
    staticAssets: DOCS_ASSETS,
  },
  // A page to try the service in a browser: it uploads photos (paid analyses in AWS), so deployed only with -c tryPage=true.
  {
    id: "TryPage",
    method: "GET",
    path: "/",
    entry: "functions/try-page/handler.ts",
    factory: async () => (await import("./try-page/handler.js")).createTryPageHandler,
    memoryMb: 128,
    timeoutSeconds: 5,
    access: PAGE_ACCESS,
    staticAssets: TRY_PAGE_ASSETS,
    optional: "tryPage",
  },
  {
    id: "TryAssets",
    method: "GET",
    path: "/try/assets/{file}",
    entry: "functions/try-page/handler.ts",
    factory: async () => (await import("./try-page/handler.js")).createTryPageHandler,
    memoryMb: 128,
    timeoutSeconds: 5,
    access: PAGE_ACCESS,
    staticAssets: TRY_PAGE_ASSETS,
    optional: "tryPage",
  },
];

/** The routes a stack deploys: every one but those behind an option that is off. */
export function deployedRoutes(options: { tryPage?: boolean } = {}): readonly HttpRoute[] {
  return HTTP_ROUTES.filter((route) => route.optional === undefined || (route.optional === "tryPage" && options.tryPage === true));
}

/** The scheduled cleanup: not an HTTP route, but built by the same stack from the same kind of entry. */
export const CLEANUP_FUNCTION = {
  id: "Cleanup",
  entry: "functions/cleanup/handler.ts",
  memoryMb: 512,
  timeoutSeconds: 900,
  access: { table: "readwrite", bucket: "delete", staging: "none", visionSecrets: false },
} as const;

/**
 * The queue's consumer: runs each job through the upload steps (so it has the upload function's
 * memory, vision and storage rights) and posts progress to WebSocket subscribers.
 */
export const WORKER_FUNCTION = {
  id: "Worker",
  entry: "functions/worker/handler.ts",
  memoryMb: 1769,
  timeoutSeconds: 120,
  access: { table: "readwrite", bucket: "readwrite", staging: "consume", visionSecrets: true, events: true },
} as const satisfies { id: string; entry: string; memoryMb: number; timeoutSeconds: number; access: RouteAccess };

/** Where the local server serves the progress WebSocket (in AWS: the WebSocket API's own URL). */
export const EVENTS_PATH = "/api/photo-analysis/events/";

export type WebSocketFactory = (getDeps: DepsProvider) => WebSocketHandler;

/** The WebSocket API's routes (selected by `$request.body.action`), one function each; the local server dispatches the same way. */
export const WEBSOCKET_ROUTES: readonly {
  id: string;
  routeKeys: readonly string[];
  entry: string;
  factory: () => Promise<WebSocketFactory>;
  access: RouteAccess;
}[] = [
  {
    id: "EventsConnect",
    routeKeys: ["$connect"],
    entry: "functions/events-connect/handler.ts",
    factory: async () => (await import("./events-connect/handler.js")).createEventsConnectHandler,
    access: { table: "readwrite", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "EventsDisconnect",
    routeKeys: ["$disconnect"],
    entry: "functions/events-disconnect/handler.ts",
    factory: async () => (await import("./events-disconnect/handler.js")).createEventsDisconnectHandler,
    access: { table: "readwrite", bucket: "none", staging: "none", visionSecrets: false },
  },
  {
    id: "EventsMessage",
    routeKeys: ["subscribe", "$default"],
    entry: "functions/events-message/handler.ts",
    factory: async () => (await import("./events-message/handler.js")).createEventsMessageHandler,
    access: { table: "readwrite", bucket: "none", staging: "none", visionSecrets: false, events: true },
  },
];

/** The route a WebSocket message goes to: its `action` when a route has that key, else `$default`. */
export function websocketRouteFor(routeKey: string) {
  return WEBSOCKET_ROUTES.find((route) => route.routeKeys.includes(routeKey)) ?? WEBSOCKET_ROUTES.find((route) => route.routeKeys.includes("$default"))!;
}

/** "/api/photo-analysis/{id}/" → "/api/photo-analysis/{id}": the form API Gateway accepts. */
export function apiGatewayPath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/** Matches a request path against a route path, with or without the trailing slash. */
export function matchPath(routePath: string, requestPath: string): Record<string, string> | null {
  const routeParts = apiGatewayPath(routePath).split("/");
  const requestParts = apiGatewayPath(requestPath).split("/");
  if (routeParts.length !== requestParts.length) return null;
  const parameters: Record<string, string> = {};
  for (let i = 0; i < routeParts.length; i++) {
    const routePart = routeParts[i]!;
    const requestPart = requestParts[i]!;
    const parameter = /^\{(\w+)\}$/.exec(routePart);
    if (parameter) {
      if (!requestPart) return null;
      try {
        parameters[parameter[1]!] = decodeURIComponent(requestPart);
      } catch {
        return null; // malformed percent-encoding ("%E0%A4%A") matches nothing: a 404, not a 500
      }
    } else if (routePart !== requestPart) {
      return null;
    }
  }
  return parameters;
}

/**
 * The routes that own a path: those matching it with the fewest parameters, whatever their method.
 * Literal segments win over parameters ("recent" before "{id}"), as in API Gateway, and a literal
 * path is never taken for an id: GET /upload/ is the upload route's wrong method, not an analysis.
 */
function owningRoutes(requestPath: string): { route: HttpRoute; pathParameters: Record<string, string> }[] {
  const matches = HTTP_ROUTES.map((route) => ({ route, pathParameters: matchPath(route.path, requestPath) })).filter(
    (match): match is { route: HttpRoute; pathParameters: Record<string, string> } => match.pathParameters !== null,
  );
  const fewest = Math.min(...matches.map((match) => Object.keys(match.pathParameters).length));
  return matches.filter((match) => Object.keys(match.pathParameters).length === fewest);
}

export function findRoute(method: string, requestPath: string): { route: HttpRoute; pathParameters: Record<string, string> } | null {
  return owningRoutes(requestPath).find((match) => match.route.method === method) ?? null;
}

/** The methods the routes owning this path serve: for a 405's Allow header when the method is wrong. */
export function allowedMethods(requestPath: string): string[] {
  return [...new Set(owningRoutes(requestPath).map((match) => match.route.method))].sort();
}
