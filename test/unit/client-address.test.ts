import { describe, expect, it } from "vitest";
import { EDGE_ORIGIN_HEADER, EDGE_VIEWER_HEADER, json, resolveCaller } from "../../functions/http.js";
import { httpRoute } from "../../functions/pipeline.js";
import { httpEvent } from "../helpers/events.js";

describe("without the edge (no PHOTO_ANALYSIS_ORIGIN_SECRET)", () => {
  it("takes the client's address from API Gateway only: the edge's headers, sent by a client, are ignored", async () => {
    delete process.env.PHOTO_ANALYSIS_ORIGIN_SECRET;
    const whoAmI = httpRoute(async (event) => json(200, await resolveCaller(event, {}, null)));
    const answer = await whoAmI(
      httpEvent({
        method: "GET",
        path: "/api/photo-analysis/recent/",
        headers: { [EDGE_VIEWER_HEADER]: "198.51.100.7", [EDGE_ORIGIN_HEADER]: "anything" },
        sourceIp: "203.0.113.10",
      }),
    );
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body!)).toMatchObject({ ipAddress: "203.0.113.10" });
  });
});
