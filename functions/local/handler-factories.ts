import type { AppDeps } from "../../shared/usecases/deps.js";
import { createGetAnalysisHandler } from "../get-analysis/handler.js";
import { createImageHandler } from "../image/handler.js";
import { createRecentHandler } from "../recent/handler.js";
import { createUploadHandler } from "../upload/handler.js";
import { createUploadUrlHandler } from "../upload-url/handler.js";
import type { RouteHandler } from "./http-adapter.js";
import { createAdminDetailHandler } from "../admin-detail/handler.js";
import { createAdminListHandler } from "../admin-list/handler.js";
import { createAdminPageHandler } from "../admin-page/handler.js";
import { createAdminStatsHandler } from "../admin-stats/handler.js";

/** Route id → the factory its Lambda module uses for its `handler` export, so local runs execute the same code. */
export const HANDLER_FACTORIES: Record<string, (getDeps: () => AppDeps) => RouteHandler> = {
  Upload: (getDeps) => createUploadHandler(getDeps) as RouteHandler,
  UploadUrl: createUploadUrlHandler as (getDeps: () => AppDeps) => RouteHandler,
  Recent: createRecentHandler as (getDeps: () => AppDeps) => RouteHandler,
  GetAnalysis: createGetAnalysisHandler as (getDeps: () => AppDeps) => RouteHandler,
  Image: createImageHandler as (getDeps: () => AppDeps) => RouteHandler,
  AdminList: createAdminListHandler as (getDeps: () => AppDeps) => RouteHandler,
  AdminDetail: createAdminDetailHandler as (getDeps: () => AppDeps) => RouteHandler,
  AdminStats: createAdminStatsHandler as (getDeps: () => AppDeps) => RouteHandler,
  AdminPage: () => createAdminPageHandler() as RouteHandler,
  AdminAssets: () => createAdminPageHandler() as RouteHandler,
};
