import { subscribe } from "../../shared/usecases/jobs.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import type { WebSocketHandler } from "../websocket.js";

const USAGE = 'Send {"action": "subscribe", "job_id": "…"} or {"action": "subscribe", "batch_id": "…"}.';

/**
 * WebSocket messages (`subscribe`, and anything else via `$default`): subscribing sends the
 * current state of each job at once, then every change. Problems are answered on the socket.
 */
export function createEventsMessageHandler(getDeps: DepsProvider = defaultDeps): WebSocketHandler {
  return async (event) => {
    const deps = getDeps();
    const connectionId = event.requestContext.connectionId;
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
