import { ValidationError } from "../../shared/domain/errors.js";
import { presentAdminRow } from "../../shared/domain/present.js";
import { listUploadsForAdmin } from "../../shared/usecases/admin.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { json, publicBaseUrl, type HttpEvent } from "../http.js";
import { httpRoute } from "../pipeline.js";

function booleanParam(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw ValidationError.field(name, "Use true or false.");
}

/** GET /api/admin/analyses/?limit=&cursor=&model=&storage_type=&expired=&signed_in=&flagged=&from=&to=&q= */
export function createAdminListHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(
    async (event: HttpEvent) => {
      const deps = getDeps();
      const query = event.queryStringParameters ?? {};
      const limit = query.limit ? Number(query.limit) : 25;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw ValidationError.field("limit", "Choose between 1 and 100.");
      if (query.storage_type && query.storage_type !== "s3" && query.storage_type !== "local") throw ValidationError.field("storage_type", "Use s3 or local.");
      const page = await listUploadsForAdmin(deps, {
        limit,
        cursor: query.cursor || undefined,
        from: query.from || undefined,
        to: query.to || undefined,
        q: query.q || undefined,
        filter: {
          model: query.model || undefined,
          storageType: (query.storage_type || undefined) as "s3" | "local" | undefined,
          expired: booleanParam("expired", query.expired),
          signedIn: booleanParam("signed_in", query.signed_in),
          flagged: booleanParam("flagged", query.flagged),
        },
      });
      const baseUrl = publicBaseUrl(event, deps);
      return json(200, { results: page.uploads.map((upload) => presentAdminRow(upload, baseUrl, deps.now())), next_cursor: page.cursor ?? null });
    },
    { admin: getDeps },
  );
}

export const handler = createAdminListHandler();
