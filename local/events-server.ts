import { randomBytes } from "node:crypto";
import { type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { ConnectionGateway } from "../shared/stores/ports.js";
import { CONNECTION_LIFETIME_SECONDS } from "../shared/usecases/socket-limits.js";
import { EVENTS_PATH, websocketRouteFor } from "../functions/routes.js";
import type { WebSocketEvent, WebSocketHandler } from "../functions/websocket.js";

/** API Gateway's limit on one WebSocket frame (128 KB); larger messages close the connection there too. */
const MAX_MESSAGE_BYTES = 128 * 1024;
/**
 * Handshakes whose $connect runs at once; the rest wait their turn. In AWS each $connect is its own
 * function invocation; here they share the embedded table, which a crowd of hundreds would swamp.
 */
const CONCURRENT_HANDSHAKES = 16;
/**
 * Messages of one connection handled at once (the default message cap per second: a client within
 * it never waits on itself); the rest wait, and are dropped if the connection closes first.
 */
const MESSAGES_IN_FLIGHT = 10;

/**
 * The WebSocket API on the local server's own port: each upgrade, message and close becomes the
 * event API Gateway would send to the route's function ($connect, the `action` route or $default,
 * $disconnect), and the gateway below plays the management API's PostToConnection.
 */
export function attachEventsServer(server: Server, handlerFor: (routeId: string) => Promise<WebSocketHandler>) {
  const sockets = new Map<string, WebSocket>();
  const sockServer = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const routeHandler = (routeKey: string) => handlerFor(websocketRouteFor(routeKey).id);
  let closing = false;
  // Handshakes, messages and disconnects under way: closing waits for them, as they use the table.
  const underWay = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    underWay.add(work);
    void work.finally(() => underWay.delete(work)).catch(() => {});
    return work;
  };

  const gateway: ConnectionGateway = {
    async post(connectionId, message) {
      const socket = sockets.get(connectionId);
      if (!socket || socket.readyState !== socket.OPEN) return false;
      await new Promise<void>((resolve, reject) => socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve())));
      return true;
    },
    async close(connectionId, code, reason) {
      sockets.get(connectionId)?.close(code, reason);
    },
  };

  let handshaking = 0;
  const waiting: (() => void)[] = [];
  const turn = async () => {
    if (handshaking >= CONCURRENT_HANDSHAKES) await new Promise<void>((resolve) => waiting.push(resolve));
    handshaking++;
  };
  const done = () => {
    handshaking--;
    waiting.shift()?.();
  };

  const onUpgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node's HTTP server stops watching an upgraded socket for errors: a client that resets while
    // $connect runs would otherwise crash the process.
    socket.on("error", () => socket.destroy());
    const url = new URL(request.url ?? "/", "http://local");
    if (url.pathname.replace(/\/?$/, "/") !== EVENTS_PATH) return refuse(socket, 404, { detail: "Not found." });
    await turn();
    try {
      // A client that gave up while waiting costs nothing more; neither does one still waiting when the server stops.
      if (closing) socket.destroy();
      else if (!socket.destroyed) await handshake(request, socket, head, url);
    } finally {
      done();
    }
  };

  const handshake = async (request: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => {
    // API Gateway's connection ids look like this (12 random bytes, base64).
    const connectionId = randomBytes(12).toString("base64");
    const base = { connectionId, identity: { sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "" } };
    try {
      const connected = await routeHandler("$connect").then((handle) =>
        handle({
          requestContext: { ...base, routeKey: "$connect", eventType: "CONNECT" },
          queryStringParameters: Object.fromEntries(url.searchParams),
          headers: flatHeaders(request),
        }),
      );
      if (connected.statusCode !== 200) return refuse(socket, connected.statusCode, connected.body ? JSON.parse(connected.body) : {});
    } catch (error) {
      console.error("websocket connect failed", error);
      return refuse(socket, 500, { error: "Internal server error" });
    }
    const disconnect = () =>
      track(
        routeHandler("$disconnect")
          .then((handle) => handle({ requestContext: { ...base, routeKey: "$disconnect", eventType: "DISCONNECT" } }))
          .catch((error) => console.error("websocket disconnect failed", error)),
      );
    // A client that went away during $connect, or whose handshake ws refuses, never becomes a WebSocket:
    // $disconnect still runs, so its connection and its slots under the caps are given back.
    let upgraded = false;
    if (socket.destroyed) return void disconnect();
    socket.once("close", () => {
      if (!upgraded && !closing) void disconnect();
    });
    sockServer.handleUpgrade(request, socket, head, (ws) => {
      upgraded = true;
      sockets.set(connectionId, ws);
      // API Gateway ends every connection after 2 hours; so does this server (the caps count connections in 2-hour windows).
      const lifetime = setTimeout(() => ws.close(1001, "Connection lifetime reached"), CONNECTION_LIFETIME_SECONDS * 1000);
      lifetime.unref();
      // A frame over the limit, or a broken one, closes this connection (1009, 1002), never the server.
      ws.on("error", (error) => console.error(`websocket ${connectionId} closed: ${error.message}`));
      // A bounded number of messages at a time per connection (API Gateway would run them all side by side):
      // a client's burst queues behind itself instead of crowding the table, and what is left when it is
      // closed is dropped.
      const waitingMessages: (() => Promise<void>)[] = [];
      let inFlight = 0;
      const next = () => {
        while (inFlight < MESSAGES_IN_FLIGHT && waitingMessages.length) {
          inFlight++;
          void track(waitingMessages.shift()!()).finally(() => {
            inFlight--;
            next();
          });
        }
      };
      ws.on("message", (data, isBinary) => {
        const requestTimeEpoch = Date.now();
        waitingMessages.push(async () => {
          if (ws.readyState !== ws.OPEN) return;
          const body = isBinary ? Buffer.from(data as Buffer).toString("base64") : data.toString();
          let action = "$default";
          try {
            const parsed = JSON.parse(body) as { action?: unknown };
            // A message can name a message route only: $connect and $disconnect are the gateway's own (as API Gateway routes them).
            if (typeof parsed?.action === "string" && !parsed.action.startsWith("$")) action = parsed.action;
          } catch {
            // not JSON: $default answers it
          }
          const event: WebSocketEvent = {
            requestContext: { ...base, routeKey: action, eventType: "MESSAGE", requestTimeEpoch },
            body,
            isBase64Encoded: isBinary,
          };
          await routeHandler(action)
            .then((handle) => handle(event))
            .catch((error) => console.error("websocket message failed", error));
        });
        next();
      });
      ws.on("close", () => {
        clearTimeout(lifetime);
        sockets.delete(connectionId);
        if (closing) return; // the server is stopping: its table goes with it
        void disconnect();
      });
    });
  };
  server.on("upgrade", (request, socket, head) => void track(onUpgrade(request, socket, head)));

  return {
    gateway,
    /** Ends every connection, then waits for the work they started (the table goes away after this). */
    close: async () => {
      closing = true;
      for (const socket of sockets.values()) socket.terminate();
      sockServer.close();
      for (const resume of waiting.splice(0)) resume();
      while (underWay.size) await Promise.allSettled([...underWay]);
    },
  };
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]));
}

/** A refused handshake: the HTTP answer $connect gave (as API Gateway returns it). */
function refuse(socket: Duplex, status: number, body: unknown) {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Refused"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}
