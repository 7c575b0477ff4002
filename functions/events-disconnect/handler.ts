import { closeConnection } from "../../shared/usecases/progress.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import type { WebSocketHandler } from "../websocket.js";

/** WebSocket `$disconnect`: the connection is forgotten (its subscriptions expire, or go on the next post). */
export function createEventsDisconnectHandler(getDeps: DepsProvider = defaultDeps): WebSocketHandler {
  return async (event) => {
    await closeConnection(getDeps(), event.requestContext.connectionId);
    return { statusCode: 200 };
  };
}

export const handler = createEventsDisconnectHandler();
