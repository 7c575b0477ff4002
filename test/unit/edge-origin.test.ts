import { describe, expect, it } from "vitest";
import { EDGE_ORIGIN_HEADER, EDGE_VIEWER_HEADER, json, resolveCaller } from "../../functions/http.js";
import { httpRoute } from "../../functions/pipeline.js";
import { httpEvent } from "../helpers/events.js";

// As the stack sets it on the HTTP functions when the edge is on (read once per process, like every deployment fact).
process.env.PHOTO_ANALYSIS_ORIGIN_SECRET = "edge-secret-for-tests-0123456789";

/** A route that answers who it thinks the caller is. */
const whoAmI = httpRoute(async (event) => json(200, await resolveCaller(event, {}, null)));

const request = (headers: Record<string, string>) =>
  whoAmI(httpEvent({ method: "GET", path: "/api/photo-analysis/recent/", headers, sourceIp: "130.176.0.1" }));

describe("behind the CloudFront edge", () => {
  it("refuses requests that did not come through the edge (no origin header, or a wrong one) with a 403 through the error mapping", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { [EDGE_ORIGIN_HEADER]: "guess" },
      { [EDGE_ORIGIN_HEADER]: "edge-secret-for-tests-012345678" },
      { [EDGE_VIEWER_HEADER]: "198.51.100.7" },
    ];
    for (const headers of attempts) {
      const answer = await request(headers);
      expect(answer.statusCode, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(answer.body!)).toMatchObject({ detail: "Use this API through its public address.", request_id: expect.any(String) });
    }
  });

  it("takes the client's address from the edge's viewer header, not from CloudFront's own address or X-Forwarded-For", async () => {
    const answer = await request({
      [EDGE_ORIGIN_HEADER]: "edge-secret-for-tests-0123456789",
      [EDGE_VIEWER_HEADER]: "198.51.100.7",
      "x-forwarded-for": "203.0.113.66",
    });
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body!)).toMatchObject({ ipAddress: "198.51.100.7" });
    // Without the viewer header (it is always set by the edge's function), API Gateway's view stands.
    const fallback = await request({ [EDGE_ORIGIN_HEADER]: "edge-secret-for-tests-0123456789" });
    expect(JSON.parse(fallback.body!)).toMatchObject({ ipAddress: "130.176.0.1" });
  });
});
