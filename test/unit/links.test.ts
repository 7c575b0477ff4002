import { describe, expect, it } from "vitest";
import { asyncLinks, publicBaseUrl } from "../../functions/http.js";
import { publicBaseUrlFrom, runtimeEnvironmentFrom, trustedProxyFrom } from "../../shared/runtime/environment.js";
import { httpEvent } from "../helpers/events.js";

/** Links in answers come from configuration or API Gateway's own domain, never from what a client sends. */

const forged = { host: "evil.example", "x-forwarded-proto": "javascript:alert(document.domain)//", "x-forwarded-host": "evil.example" };
const event = (headers: Record<string, string> = {}) => httpEvent({ method: "GET", path: "/api/photo-analysis/x/", headers });

describe("the origin of links", () => {
  it("is the configured origin, whatever Host and X-Forwarded-* say", () => {
    expect(publicBaseUrl(event(forged), { publicBaseUrl: "https://api.example.com" })).toBe("https://api.example.com");
    expect(publicBaseUrl(event(forged), { publicBaseUrl: "https://api.example.com/", trustedProxy: true })).toBe("https://api.example.com");
  });

  it("without configuration, is the domain API Gateway reports (over HTTPS), never the client's Host or X-Forwarded-*", () => {
    expect(publicBaseUrl(event(forged), {})).toBe("https://api.example.test");
    const odd = event();
    odd.requestContext.domainName = "bad host/with path";
    expect(publicBaseUrl(odd, {})).toBe("");
  });

  it("takes X-Forwarded-Proto and X-Forwarded-Host only behind a trusted proxy, and only a plain scheme and host", () => {
    expect(publicBaseUrl(event({ "x-forwarded-proto": "https", "x-forwarded-host": "photos.example.org" }), { trustedProxy: true })).toBe(
      "https://photos.example.org",
    );
    expect(publicBaseUrl(event({ "x-forwarded-proto": "http, https", "x-forwarded-host": "10.0.0.5:8080" }), { trustedProxy: true })).toBe(
      "http://10.0.0.5:8080",
    );
    for (const headers of [
      forged,
      { "x-forwarded-proto": "https", "x-forwarded-host": "evil.example/path?x=1" },
      { "x-forwarded-proto": "https", "x-forwarded-host": "user@evil.example" },
      { "x-forwarded-proto": "ftp", "x-forwarded-host": "evil.example" },
    ]) {
      expect(publicBaseUrl(event(headers), { trustedProxy: true }), JSON.stringify(headers)).toBe("https://api.example.test");
    }
  });

  it("gives async links the same origin, and the configured events URL", () => {
    expect(asyncLinks(event(forged), { publicBaseUrl: "https://api.example.com" }, "/api/photo-analysis/jobs/j/", "fp 1")).toEqual({
      status_url: "https://api.example.com/api/photo-analysis/jobs/j/?fingerprint=fp%201",
      events_url: "wss://api.example.com/api/photo-analysis/events/?fingerprint=fp%201",
    });
    expect(asyncLinks(event(forged), { eventsUrl: "wss://ws.example.com/prod" }, "/api/photo-analysis/jobs/j/", null)).toEqual({
      status_url: "https://api.example.test/api/photo-analysis/jobs/j/",
      events_url: "wss://ws.example.com/prod",
    });
  });
});

describe("settings of the origin", () => {
  it("accepts an origin (with an optional path prefix) and refuses anything else at start", () => {
    expect(publicBaseUrlFrom({ PHOTO_ANALYSIS_PUBLIC_BASE_URL: "https://api.example.com/" })).toBe("https://api.example.com");
    expect(publicBaseUrlFrom({ PHOTO_ANALYSIS_PUBLIC_BASE_URL: "https://cdn.example.com/photos" })).toBe("https://cdn.example.com/photos");
    expect(publicBaseUrlFrom({})).toBeUndefined();
    for (const bad of ["javascript:alert(1)", "api.example.com", "https://x.example/?q=1", "https://user@x.example"]) {
      expect(() => publicBaseUrlFrom({ PHOTO_ANALYSIS_PUBLIC_BASE_URL: bad }), bad).toThrow(/must be an origin/);
    }
    expect([
      trustedProxyFrom({}),
      trustedProxyFrom({ PHOTO_ANALYSIS_TRUSTED_PROXY: "true" }),
      trustedProxyFrom({ PHOTO_ANALYSIS_TRUSTED_PROXY: "no" }),
    ]).toEqual([false, true, false]);
    expect(runtimeEnvironmentFrom({ PHOTO_ANALYSIS_TABLE: "t", PHOTO_ANALYSIS_TRUSTED_PROXY: "1" }).trustedProxy).toBe(true);
  });
});
