import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** How the fake answers the next chat completion. */
export type FakeBehaviour =
  | { kind: "suggestions"; suggestions?: { name: string; description: string }[]; model?: string; delayMs?: number }
  | { kind: "content"; content: string }
  | { kind: "status"; status: number; message?: string }
  | { kind: "hang" };

export const COFFEE_SUGGESTIONS = [
  ["Coffee Lovers", "For everyone who starts the day with a fresh cup"],
  ["Brew Crew", "Swap beans, grinders and brewing tricks"],
  ["Morning Mug Club", "Slow mornings, warm mugs and good conversation"],
  ["Espresso Yourself", "Shots, crema and the art of the perfect pull"],
  ["Latte Art Lounge", "Hearts, rosettas and milk-foam masterpieces"],
  ["Bean Scene", "Roasts, origins and tasting notes"],
  ["Cafe Corner", "Favourite cafes and hidden coffee spots"],
  ["Daily Grind", "Coffee-fuelled chats about work and life"],
  ["Pour Over Pals", "Kettles, filters and patient brewing"],
  ["Caffeine Chronicles", "Stories told one cup at a time"],
].map(([name, description]) => ({ name: name!, description: description! }));

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

/**
 * A loopback server that speaks OpenAI's Chat Completions wire format: POST /v1/chat/completions
 * with the JSON body the SDK sends, answering a `chat.completion` object or an OpenAI error body.
 */
export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  private served = 0;
  private script: FakeBehaviour[] = [{ kind: "suggestions" }];
  private sinceScript = 0;

  /** Answers to the next requests, in order; the last one repeats. Setting it restarts the script. */
  set behaviours(script: FakeBehaviour[]) {
    this.script = script;
    this.sinceScript = 0;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  get callCount(): number {
    return this.served;
  }

  async start(): Promise<this> {
    this.server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      this.requests.push({ path: request.url ?? "", headers: request.headers, body });
      const behaviour = this.script[Math.min(this.sinceScript, this.script.length - 1)]!;
      this.sinceScript++;
      this.served++;
      if (request.url !== "/v1/chat/completions") {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
        return;
      }
      if (behaviour.kind === "hang") return; // never answers: the client's timeout must fire
      if (behaviour.kind === "status") {
        response.writeHead(behaviour.status, { "content-type": "application/json", "x-request-id": "req_fake" });
        response.end(
          JSON.stringify({
            error: { message: behaviour.message ?? `fake error ${behaviour.status}`, type: "server_error", param: null, code: null },
          }),
        );
        return;
      }
      if (behaviour.kind === "suggestions" && behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      const content =
        behaviour.kind === "content"
          ? behaviour.content
          : JSON.stringify({ suggestions: behaviour.suggestions ?? COFFEE_SUGGESTIONS });
      const model = behaviour.kind === "suggestions" ? (behaviour.model ?? "gpt-4o-2024-08-06") : "gpt-4o-2024-08-06";
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          id: `chatcmpl-fake${this.served}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" }],
          usage: { prompt_tokens: 312, completion_tokens: 221, total_tokens: 533 },
        }),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
