import { AppError } from "../../shared/domain/errors.js";
import { openConnection } from "../../shared/usecases/progress.js";
import { defaultDeps, type DepsProvider } from "../deps.js";
import { errorResponse } from "../http.js";
import { websocketCaller, type WebSocketHandler } from "../websocket.js";

/** WebSocket `$connect`: a refused handshake answers the HTTP error (400 bad fingerprint, 401 bad token). */
export function createEventsConnectHandler(getDeps: DepsProvider = defaultDeps): WebSocketHandler {
  return async (event) => {
    const deps = getDeps();
    try {
      await openConnection(deps, event.requestContext.connectionId, await websocketCaller(event, deps));
      return { statusCode: 200 };
    } catch (error) {
      const answer = errorResponse(error, event.requestContext.requestId ?? event.requestContext.connectionId);
      if (!(error instanceof AppError)) console.error("websocket connect failed", error);
      return { statusCode: answer.statusCode ?? 500, body: answer.body };
    }
  };
}

export const handler = createEventsConnectHandler();
