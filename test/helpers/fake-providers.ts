import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How a fake provider answers the next request. */
export type FakeBehavior =
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
 * A loopback server playing a provider's API: it records each request and answers from a script,
 * in the provider's own wire format (subclasses say how success and errors look).
 */
abstract class ScriptedProviderServer {
  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  private served = 0;
  private script: FakeBehavior[] = [{ kind: "suggestions" }];
  private sinceScript = 0;

  /** Answers to the next requests, in order; the last one repeats. Setting it restarts the script. */
  set behaviors(script: FakeBehavior[]) {
    this.script = script;
    this.sinceScript = 0;
  }

  get callCount(): number {
    return this.served;
  }

  protected get origin(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  protected abstract accepts(path: string): boolean;
  /** Requests outside the script (e.g. OpenAI's moderation endpoint): answered here, not recorded or counted. */
  protected sideRoute(_path: string, _body: Record<string, unknown>): unknown | undefined {
    return undefined;
  }
  protected abstract success(behavior: Extract<FakeBehavior, { kind: "suggestions" | "content" }>, request: RecordedRequest): unknown;
  protected abstract error(status: number, message: string): unknown;

  async start(): Promise<this> {
    this.server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      const side = this.sideRoute(request.url ?? "", body);
      if (side !== undefined) return send(response, 200, side);
      const recorded = { path: request.url ?? "", headers: request.headers, body };
      this.requests.push(recorded);
      const behavior = this.script[Math.min(this.sinceScript, this.script.length - 1)]!;
      this.sinceScript++;
      this.served++;
      if (!this.accepts(recorded.path)) return send(response, 404, this.error(404, `no route ${recorded.path}`));
      if (behavior.kind === "hang") return; // never answers: the client's timeout must fire
      if (behavior.kind === "status") return send(response, behavior.status, this.error(behavior.status, behavior.message ?? `fake error ${behavior.status}`));
      if (behavior.kind === "suggestions" && behavior.delayMs) await new Promise((resolve) => setTimeout(resolve, behavior.delayMs));
      send(response, 200, this.success(behavior, recorded));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json", "request-id": "req_fake", "x-request-id": "req_fake" });
  response.end(JSON.stringify(body));
}

function suggestionsJson(behavior: Extract<FakeBehavior, { kind: "suggestions" | "content" }>): string {
  return behavior.kind === "content" ? behavior.content : JSON.stringify({ suggestions: behavior.suggestions ?? COFFEE_SUGGESTIONS });
}

/**
 * OpenAI's Chat Completions: POST /v1/chat/completions → `chat.completion`. Also what compatible servers
 * speak. Its moderation endpoint (POST /v1/moderations) answers outside the script: images get
 * `moderationScores` (all zero unless a test sets some), texts are flagged when `flagText` says so.
 */
export class FakeOpenAI extends ScriptedProviderServer {
  readonly moderationRequests: Record<string, unknown>[] = [];
  moderationScores: Record<string, number> = {};
  flagText: (text: string) => boolean = () => false;

  protected override sideRoute(path: string, body: Record<string, unknown>) {
    if (path !== "/v1/moderations") return undefined;
    this.moderationRequests.push(body);
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const categories = ["sexual", "sexual/minors", "harassment", "hate", "illicit", "self-harm", "violence", "violence/graphic"];
    const isImage = inputs.some((entry) => typeof entry === "object" && entry !== null);
    const result = (flagged: boolean, scores: Record<string, number>) => ({
      flagged,
      categories: Object.fromEntries(categories.map((name) => [name, (scores[name] ?? 0) >= 0.5])),
      category_scores: Object.fromEntries(categories.map((name) => [name, scores[name] ?? 0])),
      category_applied_input_types: {},
    });
    const results = isImage
      ? [
          result(
            Object.values(this.moderationScores).some((score) => score >= 0.5),
            this.moderationScores,
          ),
        ]
      : inputs.map((text) => result(this.flagText(String(text)), {}));
    return { id: `modr-${this.moderationRequests.length}`, model: "omni-moderation-latest", results };
  }

  get baseUrl(): string {
    return `${this.origin}/v1`;
  }
  protected accepts(path: string) {
    return path === "/v1/chat/completions";
  }
  protected success(behavior: Extract<FakeBehavior, { kind: "suggestions" | "content" }>) {
    return {
      id: `chatcmpl-fake${this.callCount}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: behavior.kind === "suggestions" ? (behavior.model ?? "gpt-4o-2024-08-06") : "gpt-4o-2024-08-06",
      choices: [{ index: 0, message: { role: "assistant", content: suggestionsJson(behavior), refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 312, completion_tokens: 221, total_tokens: 533 },
    };
  }
  protected error(status: number, message: string) {
    return { error: { message, type: status === 429 ? "requests" : "server_error", param: null, code: null } };
  }
}

/** Anthropic's Messages API: POST /v1/messages → a `message` whose answer is a `tool_use` block. */
export class FakeAnthropic extends ScriptedProviderServer {
  get baseUrl(): string {
    return this.origin;
  }
  protected accepts(path: string) {
    return path === "/v1/messages";
  }
  protected success(behavior: Extract<FakeBehavior, { kind: "suggestions" | "content" }>, request: RecordedRequest) {
    const toolName = (request.body.tool_choice as { name?: string } | undefined)?.name ?? "chat_room_suggestions";
    const content =
      behavior.kind === "content"
        ? [{ type: "text", text: behavior.content }]
        : [{ type: "tool_use", id: "toolu_fake", name: toolName, input: { suggestions: behavior.suggestions ?? COFFEE_SUGGESTIONS } }];
    return {
      id: "msg_fake",
      type: "message",
      role: "assistant",
      model: behavior.kind === "suggestions" ? (behavior.model ?? "claude-haiku-4-5-20251001") : "claude-haiku-4-5-20251001",
      content,
      stop_reason: behavior.kind === "content" ? "end_turn" : "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 402, output_tokens: 198 },
    };
  }
  protected error(status: number, message: string) {
    const type = status === 429 ? "rate_limit_error" : status === 529 ? "overloaded_error" : status === 401 ? "authentication_error" : "api_error";
    return { type: "error", error: { type, message } };
  }
}

/** Gemini's generateContent: POST /v1beta/models/{model}:generateContent → candidates with JSON text. */
export class FakeGemini extends ScriptedProviderServer {
  get baseUrl(): string {
    return this.origin;
  }
  protected accepts(path: string) {
    return /^\/v1beta\/models\/[^/:]+:generateContent/.test(path);
  }
  protected success(behavior: Extract<FakeBehavior, { kind: "suggestions" | "content" }>) {
    return {
      candidates: [{ content: { parts: [{ text: suggestionsJson(behavior) }], role: "model" }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: 361, candidatesTokenCount: 187, totalTokenCount: 548 },
      modelVersion: behavior.kind === "suggestions" ? (behavior.model ?? "gemini-2.5-flash") : "gemini-2.5-flash",
      responseId: "resp_fake",
    };
  }
  protected error(status: number, message: string) {
    const statusName =
      status === 429 ? "RESOURCE_EXHAUSTED" : status >= 500 ? "INTERNAL" : status === 401 || status === 403 ? "PERMISSION_DENIED" : "INVALID_ARGUMENT";
    return { error: { code: status, message, status: statusName } };
  }
}
