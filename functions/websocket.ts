import { ValidationError } from "../shared/domain/errors.js";
import type { Caller } from "../shared/domain/types.js";
import type { AppDeps } from "../shared/usecases/deps.js";
import { fingerprintErrors, resolveCaller, type HttpEvent } from "./http.js";

/** What API Gateway's WebSocket API sends each route's function ($connect, $disconnect, messages). */
export interface WebSocketEvent {
  requestContext: {
    connectionId: string;
    routeKey: string;
    eventType?: "CONNECT" | "MESSAGE" | "DISCONNECT";
    requestId?: string;
    /** When API Gateway received the message (ms since the epoch). */
    requestTimeEpoch?: number;
    identity?: { sourceIp?: string };
  };
  queryStringParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined>;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface WebSocketResult {
  statusCode: number;
  body?: string;
}

export type WebSocketHandler = (event: WebSocketEvent) => Promise<WebSocketResult>;

/**
 * Who opens a connection. Browsers cannot set headers on a WebSocket, so the caller comes from the
 * query: `fingerprint` and/or `access_token` (a JWT, verified exactly like a bearer header).
 */
export async function websocketCaller(event: WebSocketEvent, deps: Pick<AppDeps, "tokens">): Promise<Caller> {
  const query = event.queryStringParameters ?? {};
  const problems = fingerprintErrors(query.fingerprint);
  if (problems.length) throw new ValidationError({ fingerprint: problems });
  const token = query.access_token;
  const asHttp = {
    requestContext: { http: { sourceIp: event.requestContext.identity?.sourceIp ?? "" } },
    headers: token ? { authorization: `Bearer ${token}` } : {},
  } as unknown as HttpEvent;
  return resolveCaller(asHttp, deps, query.fingerprint ? query.fingerprint.trim() : null);
}
