import { getImage } from "../../shared/usecases/queries.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { httpRoute } from "../pipeline.js";
import type { HttpEvent } from "../http.js";

/** GET /api/photo-analysis/{id}/image/ — the upload's own image through the API, never a storage path. */
export function createImageHandler(getDeps: DepsProvider = defaultDeps) {
  return httpRoute(async (event: HttpEvent) => {
    const image = await getImage(getDeps(), event.pathParameters?.id ?? "");
    return {
      statusCode: 200,
      headers: {
        "content-type": image.contentType,
        "content-length": String(image.bytes.length),
        // The caller's browser only, briefly: an id is a capability, and its image can be deleted or expire.
        "cache-control": "private, max-age=300",
        "x-content-type-options": "nosniff",
      },
      body: image.bytes.toString("base64"),
      isBase64Encoded: true,
    };
  });
}

export const handler = createImageHandler();
