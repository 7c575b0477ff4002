import { subscribe } from "../../shared/usecases/progress.js";
import { admitMessage, POLICY_VIOLATION } from "../../shared/usecases/socket-limits.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import type { WebSocketHandler } from "../websocket.js";

const USAGE = 'Send {"action": "subscribe", "job_id": "…"} or {"action": "subscribe", "batch_id": "…"}.';

/**
 * WebSocket messages (`subscribe`, and anything else via `$default`): subscribing sends the
 * current state of each job at once, then every change. Problems are answered on the socket; a
 * connection sending faster than its cap is told so and closed (1008 where the transport allows).
 */
export function createEventsMessageHandler(getDeps: DepsProvider = defaultDeps): WebSocketHandler {
  return async (event) => {
    const deps = getDeps();
    const connectionId = event.requestContext.connectionId;
    const received = event.requestContext.requestTimeEpoch;
    const rate = await admitMessage(deps, connectionId, received ? new Date(received) : undefined);
    if (!rate.allowed) {
      // Said on the socket first: API Gateway's close carries no reason.
      await deps.gateway?.post(connectionId, { type: "error", error: `Too many messages: at most ${rate.limit} per second. Closing this connection.` });
      await deps.gateway?.close(connectionId, POLICY_VIOLATION, "Too many messages");
      return { statusCode: 200 };
    }
    const message = parse(event.isBase64Encoded && event.body ? Buffer.from(event.body, "base64").toString("utf8") : (event.body ?? ""));
    const reply = (error: string) => deps.gateway?.post(connectionId, { type: "error", error });
    if (message?.action !== "subscribe") {
      await reply(`Unknown message. ${USAGE}`);
      return { statusCode: 200 };
    }
    const jobId = message.job_id;
    const batchId = message.batch_id;
    if (typeof jobId === "string" && jobId && batchId === undefined) await subscribe(deps, connectionId, { jobId });
    else if (typeof batchId === "string" && batchId && jobId === undefined) await subscribe(deps, connectionId, { batchId });
    else await reply(`Name one job_id or one batch_id. ${USAGE}`);
    return { statusCode: 200 };
  };
}

function parse(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export const handler = createEventsMessageHandler();
