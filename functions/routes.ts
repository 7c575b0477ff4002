/**
 * The one route table. The CDK stack makes one Lambda function and one API Gateway route per
 * entry; the local server (`npm start`) routes requests to the same handler modules. Paths are
 * the public API's, with their trailing slashes; API Gateway HTTP API routes cannot end in "/" but
 * send "/x/" to the "/x" route, so the stack registers them without it and both forms work.
 */

import type { BucketArea } from "../shared/domain/image-keys.js";
import type { IndexName, ItemKind } from "../shared/stores/table-schema.js";
import type { DepsProvider } from "./deps.js";
import type { HttpHandler } from "./pipeline.js";
import type { WebSocketHandler } from "./websocket.js";

/** A route's handler factory: the same one its Lambda module's `handler` export is made with. */
export type HandlerFactory = (getDeps: DepsProvider) => HttpHandler;

/** DynamoDB item actions (each the IAM action `dynamodb:<name>`), granted per item kind. Scan is not one of them. */
export type ItemAction = "GetItem" | "BatchGetItem" | "Query" | "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem";
/** S3 actions on one key prefix; ListBucket is granted on the bucket for that prefix only (a missing key then answers 404, not 403). */
export type ObjectAction = "GetObject" | "PutObject" | "DeleteObject" | "ListBucket";

/**
 * What one function may touch, and nothing more: the stack turns it into the function's IAM policy
 * (see "Least privilege" in the README for the whole table), `npm start` enforces the table part
 * locally. Read from the adapters each use case calls (shared/stores, shared/ratelimit, shared/stats).
 */
export interface FunctionAccess {
  /** Item kinds (ITEM_KINDS in shared/stores/table-schema.ts) and the actions on each, limited by `dynamodb:LeadingKeys`. */
  items?: Partial<Record<ItemKind, readonly ItemAction[]>>;
  /** Global secondary indexes it queries (Query only). */
  indexes?: readonly IndexName[];
  /** Object actions per bucket area (BUCKET_AREAS: images, staging). A presigned POST carries its signer's PutObject. */
  objects?: Partial<Record<BucketArea, readonly ObjectAction[]>>;
  /** Reads live settings (SSM `<prefix>/settings`); "seed": creates them, from their old place when there is one (the stack's settings seeder). */
  settings?: boolean | "seed";
  /** API keys: "read" decrypts them (SSM `<prefix>/secrets/*` under the stack's key); "presence" learns only their names. */
  secrets?: "read" | "presence";
  /** Analyses photos: the vision runtime layer and Rekognition's DetectModerationLabels. */
  vision?: boolean;
  /** Queues jobs for the worker (SQS SendMessage). */
  queue?: boolean;
  /** Posts progress to WebSocket connections (API Gateway's management API). */
  events?: boolean;
  /** Ends WebSocket connections (the management API's DeleteConnection): the message route, to a connection past its message rate. */
  closeConnections?: boolean;
}

/** Both access declarations together (the union of item kinds, actions, indexes and object actions). */
export function withAccess(base: FunctionAccess, extra: FunctionAccess): FunctionAccess {
  const union = <T>(a: readonly T[] = [], b: readonly T[] = []) => [...new Set([...a, ...b])];
  const merged = <K extends string, V>(a: Partial<Record<K, readonly V[]>> = {}, b: Partial<Record<K, readonly V[]>> = {}) =>
    Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((key) => [key, union(a[key as K], b[key as K])])) as unknown as Partial<
      Record<K, readonly V[]>
    >;
  return {
    ...base,
    ...extra,
    items: merged(base.items, extra.items),
    indexes: union(base.indexes, extra.indexes),
    objects: merged(base.objects, extra.objects),
  };
}

/**
 * Analysing one photo (shared/usecases/upload.ts and what it calls): the blocked-photo check, the
 * owner's repeat entry and the caller's counters (read together, one BatchGetItem), the exact-match
 * index and its use count, the claim, the near-duplicate index, the image and the record, the
 * dashboard counters. The upload function and the worker both run it.
 */
const ANALYSIS: FunctionAccess = {
  items: {
    analysis: ["GetItem", "PutItem", "UpdateItem", "BatchWriteItem"],
    upload: ["GetItem", "PutItem", "UpdateItem"],
    ownerIndex: ["GetItem", "BatchGetItem", "PutItem", "BatchWriteItem"],
    phashSegment: ["Query", "BatchWriteItem"],
    claim: ["GetItem", "PutItem", "UpdateItem", "DeleteItem"],
    counter: ["GetItem", "BatchGetItem", "UpdateItem"],
    blocked: ["BatchGetItem", "PutItem"],
    stats: ["UpdateItem"],
  },
  indexes: ["byFileHash"],
  // GetObject: another caller's exact hit copies the stored image server-side (CopyObject reads its
  // source); ListBucket makes a source that has gone a 404 (then the photo is normalised again), not a 403.
  objects: { images: ["GetObject", "PutObject", "DeleteObject", "ListBucket"] },
  settings: true,
  secrets: "read",
  vision: true,
};

export interface HttpRoute {
  /** Stable identifier: CDK construct id and log name. */
  id: string;
  method: "GET" | "POST" | "DELETE";
  path: string;
  /** Handler module, relative to the project root; exports `handler` (what the CDK stack bundles). */
  entry: string;
  /** The same module's factory, imported only when called (the local server; the stack never loads handlers). */
  factory: () => Promise<HandlerFactory>;
  memoryMb: number;
  timeoutSeconds: number;
  access: FunctionAccess;
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
const DOCS_ASSETS: StaticAssets = {
  folder: "functions/docs-page/static",
  packageFiles: ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui.css"],
};
/** Static pages touch no data. */
const PAGE_ACCESS: FunctionAccess = {};

export const HTTP_ROUTES: readonly HttpRoute[] = [
  {
    id: "Upload",
    method: "POST",
    path: "/api/photo-analysis/upload/",
    entry: "functions/upload/handler.ts",
    factory: async () => (await import("./upload/handler.js")).createUploadHandler,
    memoryMb: 1769, // one full vCPU: image decoding and the local models are CPU-bound
    timeoutSeconds: 60,
    access: withAccess(ANALYSIS, {
      // The presigned flow's intent and staged photo; `Prefer: respond-async` stages the photo and writes its job.
      items: { intent: ["GetItem", "DeleteItem"], job: ["PutItem", "DeleteItem"] },
      objects: { staging: ["GetObject", "PutObject", "DeleteObject", "ListBucket"] },
      queue: true,
    }),
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
    access: {
      // Admission (shared/usecases/meter.ts): the caller's counters, and the exact-match index for photos that can only be cache hits.
      items: {
        intent: ["GetItem", "DeleteItem"],
        job: ["PutItem", "DeleteItem"],
        batch: ["PutItem", "DeleteItem"],
        counter: ["GetItem", "BatchGetItem", "UpdateItem"],
        stats: ["UpdateItem"],
      },
      indexes: ["byFileHash"],
      objects: { staging: ["PutObject", "DeleteObject"] },
      settings: true,
      queue: true,
    },
  },
  {
    id: "BatchStatus",
    method: "GET",
    path: "/api/photo-analysis/batch/{batch_id}/",
    entry: "functions/batch-status/handler.ts",
    factory: async () => (await import("./batch-status/handler.js")).createBatchStatusHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { items: { batch: ["GetItem"], job: ["BatchGetItem"], upload: ["GetItem"], analysis: ["GetItem"] } },
  },
  {
    id: "Job",
    method: "GET",
    path: "/api/photo-analysis/jobs/{job_id}/",
    entry: "functions/job/handler.ts",
    factory: async () => (await import("./job/handler.js")).createJobHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { items: { job: ["GetItem"], upload: ["GetItem"], analysis: ["GetItem"] } },
  },
  {
    id: "UploadUrl",
    method: "POST",
    path: "/api/photo-analysis/upload-url/",
    entry: "functions/upload-url/handler.ts",
    factory: async () => (await import("./upload-url/handler.js")).createUploadUrlHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { items: { counter: ["GetItem", "BatchGetItem", "UpdateItem"], intent: ["PutItem"] }, objects: { staging: ["PutObject"] }, settings: true },
  },
  {
    id: "Health",
    method: "GET",
    path: "/api/photo-analysis/health/",
    entry: "functions/health/handler.ts",
    factory: async () => (await import("./health/handler.js")).createHealthHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { items: { upload: ["GetItem"] }, objects: { images: ["GetObject", "ListBucket"] }, settings: true, secrets: "presence" },
  },
  {
    id: "OpenApi",
    method: "GET",
    path: "/api/photo-analysis/openapi.json",
    entry: "functions/openapi/handler.ts",
    factory: async () => (await import("./openapi/handler.js")).createOpenApiHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: {},
  },
  {
    id: "Recent",
    method: "GET",
    path: "/api/photo-analysis/recent/",
    entry: "functions/recent/handler.ts",
    factory: async () => (await import("./recent/handler.js")).createRecentHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { indexes: ["byUser", "byFingerprint"] },
  },
  {
    id: "GetAnalysis",
    method: "GET",
    path: "/api/photo-analysis/{id}/",
    entry: "functions/get-analysis/handler.ts",
    factory: async () => (await import("./get-analysis/handler.js")).createGetAnalysisHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { items: { upload: ["GetItem"], analysis: ["GetItem"] } },
  },
  {
    // The owner erases their upload: the upload, its owner-index and repeat entries, and the upload's image.
    id: "Delete",
    method: "DELETE",
    path: "/api/photo-analysis/{id}/",
    entry: "functions/delete/handler.ts",
    factory: async () => (await import("./delete/handler.js")).createDeleteHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { items: { upload: ["GetItem", "DeleteItem"], ownerIndex: ["DeleteItem"] }, objects: { images: ["DeleteObject"] } },
  },
  {
    id: "Image",
    method: "GET",
    path: "/api/photo-analysis/{id}/image/",
    entry: "functions/image/handler.ts",
    factory: async () => (await import("./image/handler.js")).createImageHandler,
    memoryMb: 512,
    timeoutSeconds: 15,
    access: { items: { upload: ["GetItem"] }, objects: { images: ["GetObject", "ListBucket"] } },
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
    access: {
      items: { upload: ["GetItem", "BatchGetItem"], analysis: ["GetItem", "Query"] },
      indexes: ["byMonth", "byFileHash", "byPhash", "byFingerprint", "byUser"],
    },
  },
  {
    id: "AdminDetail",
    method: "GET",
    path: "/api/admin/analyses/{id}/",
    entry: "functions/admin-detail/handler.ts",
    factory: async () => (await import("./admin-detail/handler.js")).createAdminDetailHandler,
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { items: { upload: ["GetItem"], analysis: ["GetItem"] } },
  },
  {
    id: "AdminStats",
    method: "GET",
    path: "/api/admin/stats/",
    entry: "functions/admin-stats/handler.ts",
    factory: async () => (await import("./admin-stats/handler.js")).createAdminStatsHandler,
    memoryMb: 256,
    timeoutSeconds: 15,
    access: { items: { stats: ["Query"] } },
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
  // Expired uploads and analyses come from the sparse expiry index; the orphan sweep lists image keys and looks uploads up by id.
  access: {
    items: {
      upload: ["GetItem", "UpdateItem"],
      ownerIndex: ["DeleteItem"],
      analysis: ["Query", "DeleteItem", "BatchWriteItem"],
      phashSegment: ["BatchWriteItem"],
    },
    indexes: ["byExpiry"],
    objects: { images: ["DeleteObject", "ListBucket"] },
  },
} as const satisfies { id: string; entry: string; memoryMb: number; timeoutSeconds: number; access: FunctionAccess };

/**
 * The queue's consumer: runs each job through the upload steps (so it has the upload function's
 * memory, vision and storage rights) and posts progress to WebSocket subscribers.
 */
export const WORKER_FUNCTION = {
  id: "Worker",
  entry: "functions/worker/handler.ts",
  memoryMb: 1769,
  timeoutSeconds: 120,
  access: withAccess(ANALYSIS, {
    // The job's state, its staged photo, and who listens (gone connections are forgotten).
    items: { job: ["GetItem", "UpdateItem"], subscription: ["Query", "DeleteItem"], connection: ["DeleteItem"] },
    objects: { staging: ["GetObject", "DeleteObject", "ListBucket"] },
    events: true,
  }),
} satisfies { id: string; entry: string; memoryMb: number; timeoutSeconds: number; access: FunctionAccess };

/**
 * The settings under `<prefix>/settings/`, created at deploy (a CloudFormation custom resource):
 * missing ones from their old place or their default, never replacing an operator's value.
 */
export const SETTINGS_SEEDER_FUNCTION = {
  id: "SettingsSeeder",
  entry: "functions/settings-seeder/handler.ts",
  memoryMb: 256,
  timeoutSeconds: 300,
  access: { settings: "seed" },
} as const satisfies { id: string; entry: string; memoryMb: number; timeoutSeconds: number; access: FunctionAccess };

/** Where the local server serves the progress WebSocket (in AWS: the WebSocket API's own URL). */
export const EVENTS_PATH = "/api/photo-analysis/events/";

export type WebSocketFactory = (getDeps: DepsProvider) => WebSocketHandler;

/** The WebSocket API's routes (selected by `$request.body.action`), one function each; the local server dispatches the same way. */
export const WEBSOCKET_ROUTES: readonly {
  id: string;
  routeKeys: readonly string[];
  entry: string;
  factory: () => Promise<WebSocketFactory>;
  access: FunctionAccess;
}[] = [
  {
    id: "EventsConnect",
    routeKeys: ["$connect"],
    entry: "functions/events-connect/handler.ts",
    factory: async () => (await import("./events-connect/handler.js")).createEventsConnectHandler,
    // Counted against the caps per address and per caller (counter items), then remembered.
    access: { items: { connection: ["PutItem"], counter: ["GetItem", "BatchGetItem", "UpdateItem"] } },
  },
  {
    id: "EventsDisconnect",
    routeKeys: ["$disconnect"],
    entry: "functions/events-disconnect/handler.ts",
    factory: async () => (await import("./events-disconnect/handler.js")).createEventsDisconnectHandler,
    // Forgotten, and its slots under the caps given back.
    access: { items: { connection: ["DeleteItem"], counter: ["UpdateItem"] } },
  },
  {
    id: "EventsMessage",
    routeKeys: ["subscribe", "$default"],
    entry: "functions/events-message/handler.ts",
    factory: async () => (await import("./events-message/handler.js")).createEventsMessageHandler,
    // The connection's owner, the job or batch it names (and their records), then the subscription.
    // Each message and each new topic counted (counter items); a connection past its message rate is ended.
    access: {
      items: {
        connection: ["GetItem"],
        job: ["GetItem", "BatchGetItem"],
        batch: ["GetItem"],
        upload: ["GetItem"],
        analysis: ["GetItem"],
        subscription: ["PutItem"],
        counter: ["GetItem", "BatchGetItem", "UpdateItem"],
      },
      events: true,
      closeConnections: true,
    },
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
