import WebSocket from "ws";

/** The messages the progress WebSocket sends (progress, or an error about a request). */
export interface SocketMessage {
  type: "progress" | "error";
  job_id?: string;
  batch_id?: string;
  index?: number;
  stage?: string;
  at?: string;
  cached?: boolean;
  analysis?: { id: string; suggestions: unknown[] } | null;
  /** A failed job's answer; for `type: "error"`, the complaint. */
  error?: string | { status: number; body: Record<string, unknown> };
}

export interface Watcher {
  messages: SocketMessage[];
  /** Resolves with the first message (already received or coming) that matches; rejects after `timeoutMs`. */
  next(match: (message: SocketMessage) => boolean, timeoutMs?: number): Promise<SocketMessage>;
  /** Resolves once `count` messages match. */
  until(match: (message: SocketMessage) => boolean, count: number, timeoutMs?: number): Promise<SocketMessage[]>;
  send(message: unknown): void;
  close(): void;
}

/** A real WebSocket client that keeps every JSON message it receives. */
export async function openWatcher(url: string): Promise<Watcher> {
  const socket = new WebSocket(url);
  const messages: SocketMessage[] = [];
  const listeners = new Set<() => void>();
  socket.on("message", (data) => {
    messages.push(JSON.parse(data.toString()));
    for (const listener of listeners) listener();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) => reject(new Error(`handshake refused: ${response.statusCode}`)));
  });
  const until = (match: (message: SocketMessage) => boolean, count: number, timeoutMs = 20_000) =>
    new Promise<SocketMessage[]>((resolve, reject) => {
      const check = () => {
        const found = messages.filter(match);
        if (found.length < count) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${count} messages; got ${JSON.stringify(messages.map((m) => [m.type, m.stage, m.index]))}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return {
    messages,
    next: async (match, timeoutMs) => (await until(match, 1, timeoutMs))[0]!,
    until,
    send: (message) => socket.send(JSON.stringify(message)),
    close: () => socket.close(),
  };
}

/** What a refused handshake answered: its status and JSON body. */
export function refusedHandshake(url: string): Promise<{ status: number; body: Record<string, unknown> | null }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("open", () => {
      socket.close();
      reject(new Error("the handshake was accepted"));
    });
    socket.once("unexpected-response", (_request, response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    socket.once("error", () => {});
  });
}

/** Opens a socket: the open socket, or the refused handshake's status and JSON body. */
export function tryConnect(url: string): Promise<{ socket?: WebSocket; refused?: { status: number; body: Record<string, unknown> } }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("open", () => resolve({ socket }));
    socket.once("unexpected-response", (_request, response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ refused: { status: response.statusCode ?? 0, body: text ? JSON.parse(text) : {} } }));
    });
    socket.once("error", (error) => reject(error));
  });
}

/** Closes every socket and waits until each has closed. */
export async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve) => {
          if (socket.readyState === socket.CLOSED) return resolve(null);
          socket.once("close", resolve);
          socket.close();
        }),
    ),
  );
}
