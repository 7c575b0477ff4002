import type { HttpRoute } from "../../functions/routes.js";

/**
 * Names that are not what code expects: Object.prototype's own properties (a plain-object lookup
 * finds them on every object), words JavaScript treats specially, traversal and control characters,
 * malformed percent-encoding, very long ones. Every route must answer each through the one error
 * mapping: a 4xx (or its normal answer), never a 500 or an invocation error.
 */
export const ODD_NAMES = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "prototype",
  "__defineGetter__",
  "isPrototypeOf",
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e309",
  "..",
  "../../etc/passwd",
  "a/b",
  "\u0000",
  "\u202eevil",
  "😀",
  "x".repeat(2048),
];

/** Raw path segments that no client library would produce: malformed and overlong percent-encoding. */
export const RAW_SEGMENTS = ["%E0%A4%A", "%", "%00", "%2e%2e", "%C0%AE", "%ZZ"];

export interface OddRequest {
  method: HttpRoute["method"];
  /** The request path as sent (already encoded). */
  path: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  /** What it is, for failure messages. */
  what: string;
}

function fill(routePath: string, value: string): { path: string; parameters: Record<string, string> } {
  const parameters: Record<string, string> = {};
  const path = routePath.replace(/\{(\w+)\}/g, (_, name: string) => {
    parameters[name] = value;
    return encodeURIComponent(value);
  });
  return { path, parameters };
}

/** Odd requests for one route: its path parameters, its query, its JSON body. */
export function oddRequests(route: HttpRoute): OddRequest[] {
  const requests: OddRequest[] = [];
  const hasParameters = /\{\w+\}/.test(route.path);
  const plain = fill(route.path, "00000000-0000-4000-8000-000000000000");
  for (const name of ODD_NAMES) {
    if (hasParameters) {
      const { path, parameters } = fill(route.path, name);
      requests.push({ method: route.method, path, pathParameters: parameters, what: `path parameter ${JSON.stringify(name.slice(0, 40))}` });
    }
    // A very long name goes in two parameters only: servers (API Gateway's 10 KB, Node's 16 KB) refuse longer request lines themselves.
    const query =
      name.length > 256
        ? { [name]: "1", fingerprint: name }
        : { [name]: name, fingerprint: name, limit: name, cursor: name, days: name, from: name, to: name, q: name, storage_type: name, expired: name };
    requests.push({
      method: route.method,
      path: plain.path,
      pathParameters: hasParameters ? plain.parameters : undefined,
      query,
      what: `query ${JSON.stringify(name.slice(0, 40))}`,
    });
    if (route.method === "POST") {
      const body = JSON.stringify({
        [name]: { polluted: true },
        upload_id: name,
        upload_ids: [name],
        fingerprint: name,
        content_type: name,
        style: name,
        language: name,
        context: name,
      });
      requests.push({
        method: "POST",
        path: plain.path,
        headers: { "content-type": "application/json" },
        body,
        what: `JSON body ${JSON.stringify(name.slice(0, 40))}`,
      });
    }
  }
  if (hasParameters) {
    for (const raw of RAW_SEGMENTS) {
      const path = route.path.replace(/\{\w+\}/g, raw);
      requests.push({ method: route.method, path, what: `raw segment ${raw}` });
    }
  }
  if (route.method === "POST") {
    // The prototype-pollution payloads in their classic shapes.
    for (const body of [
      '{"__proto__": {"polluted": true}}',
      '{"constructor": {"prototype": {"polluted": true}}}',
      '{"__proto__": null}',
      "[]",
      '"__proto__"',
    ]) {
      requests.push({ method: "POST", path: plain.path, headers: { "content-type": "application/json" }, body, what: `JSON ${body}` });
    }
  }
  if (route.method === "POST") {
    // A form whose field and file names are the odd ones (and no image part).
    const boundary = "odd-boundary";
    const parts = ODD_NAMES.slice(0, 8).map((name, index) =>
      index % 2
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: image/jpeg\r\n\r\nnot an image\r\n`
        : `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${name}\r\n`,
    );
    requests.push({
      method: "POST",
      path: plain.path,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: `${parts.join("")}--${boundary}--\r\n`,
      what: "multipart with odd field and file names",
    });
  }
  return requests;
}

/** True when something set a property on Object.prototype (a polluted process answers wrongly from then on). */
export function prototypePolluted(): boolean {
  return "polluted" in {} || Object.hasOwn(Object.prototype, "polluted");
}
