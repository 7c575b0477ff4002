import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback proxy between the service's AWS SDK clients and the local DynamoDB (dynalite) and S3
 * (s3rver) servers that injects faults into chosen calls, as a flaky network or service would:
 *   fail           answer 500 in the service's own error format, without forwarding
 *   reset          drop the connection before forwarding
 *   lost-response  forward (the write applies), then drop the connection before the answer
 *   stall          hold the call, never forwarding, until the client's own timeout gives up
 * Calls are named by what they touch, so a rule can aim at "the record's PutItem" or "the counter
 * UpdateItem" rather than at every call of a kind.
 */

export type FaultKind = "fail" | "reset" | "lost-response" | "stall";

/** What the service does, as the proxy sees it. */
export type Operation =
  | "record put"
  | "index write"
  | "upload put"
  | "upload index write"
  | "upload use"
  | "repeat entry put"
  | "claim put"
  | "claim update"
  | "claim delete"
  | "counter update"
  | "s3 put"
  | "s3 delete"
  | "job put"
  | "batch put"
  | "job update"
  | "staging put"
  | "staging delete"
  | "other";

export interface FaultRule {
  kind: FaultKind;
  operation: Operation;
  /** How many matching calls fail (then the rule is spent); Infinity: every one. */
  times: number;
}

export interface ProxiedCall {
  operation: Operation;
  fault?: FaultKind;
}

/** Names a DynamoDB call by its action and the item key prefixes it touches. */
function dynamoOperation(target: string, body: string): Operation {
  const action = target.split(".").at(-1) ?? "";
  const keys = [...body.matchAll(/"pk":\{"S":"([A-Z]+)#/g)].map((match) => match[1]);
  const touches = (prefix: string) => keys.includes(prefix);
  // The analysis's commit and its pHash index entries; the upload's commit and its owner and repeat entries and link.
  if (action === "PutItem" && touches("ANALYSIS")) return "record put";
  if (action === "BatchWriteItem" && touches("PHSEG")) return "index write";
  if (action === "PutItem" && touches("PHOTO")) return "upload put";
  if (action === "BatchWriteItem" && touches("OWNER")) return "upload index write";
  // An own repeat: the use of the caller's upload; the repeat entry written for an upload made without one.
  if (action === "UpdateItem" && touches("PHOTO")) return "upload use";
  if (action === "PutItem" && touches("OWNER")) return "repeat entry put";
  if (action === "PutItem" && touches("CLAIM")) return "claim put";
  if (action === "UpdateItem" && touches("CLAIM")) return "claim update";
  if (action === "DeleteItem" && touches("CLAIM")) return "claim delete";
  if (action === "UpdateItem" && touches("RATE")) return "counter update";
  if (action === "PutItem" && touches("JOB")) return "job put";
  if (action === "PutItem" && touches("BATCH")) return "batch put";
  if (action === "UpdateItem" && touches("JOB")) return "job update";
  return "other";
}

function s3Operation(method: string, path: string): Operation {
  if (path.includes("/uploads/")) return method === "PUT" ? "staging put" : method === "DELETE" ? "staging delete" : "other";
  if (!path.includes("/photo_analysis/")) return "other";
  if (method === "PUT") return "s3 put";
  if (method === "DELETE") return "s3 delete";
  return "other";
}

export class FaultProxy {
  readonly calls: ProxiedCall[] = [];
  private rules: FaultRule[] = [];
  private server?: Server;
  private readonly held = new Set<ServerResponse>();

  /** `stallMs`: how long a stalled call is held before its connection is dropped (longer than the client's timeout). */
  constructor(
    private readonly upstream: string,
    private readonly service: "dynamodb" | "s3",
    private readonly stallMs = 3_000,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  inject(rule: FaultRule): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
    this.calls.length = 0;
  }

  /** How many calls of an operation were faulted. */
  faulted(operation: Operation): number {
    return this.calls.filter((call) => call.operation === operation && call.fault).length;
  }

  async close(): Promise<void> {
    for (const response of this.held) response.socket?.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const operation =
      this.service === "dynamodb"
        ? dynamoOperation(String(request.headers["x-amz-target"] ?? ""), body.toString("utf8"))
        : s3Operation(request.method ?? "GET", request.url ?? "/");
    const rule = this.rules.find((candidate) => candidate.operation === operation && candidate.times > 0);
    if (rule) rule.times--;
    this.calls.push({ operation, fault: rule?.kind });
    switch (rule?.kind) {
      case "fail":
        return this.answerError(response);
      case "reset":
        return response.socket?.destroy();
      case "stall":
        this.held.add(response);
        setTimeout(() => {
          this.held.delete(response);
          response.socket?.destroy();
        }, this.stallMs).unref();
        return;
      case "lost-response":
        await this.forward(request, body).catch(() => undefined);
        return response.socket?.destroy();
      default: {
        try {
          const upstream = await this.forward(request, body);
          response.writeHead(upstream.status, upstream.headers);
          response.end(upstream.body);
        } catch {
          response.socket?.destroy();
        }
      }
    }
  }

  private answerError(response: ServerResponse) {
    if (this.service === "dynamodb") {
      response.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "injected fault" }));
    } else {
      response.writeHead(500, { "content-type": "application/xml" });
      response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected fault</Message></Error>');
    }
  }

  private forward(request: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const target = new URL(request.url ?? "/", this.upstream);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { hostname: target.hostname, port: target.port, path: target.pathname + target.search, method: request.method, headers: request.headers },
        (upstream) => {
          const parts: Buffer[] = [];
          upstream.on("data", (part: Buffer) => parts.push(part));
          upstream.on("end", () =>
            resolve({ status: upstream.statusCode ?? 502, headers: upstream.headers as Record<string, string | string[]>, body: Buffer.concat(parts) }),
          );
          upstream.on("error", reject);
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }
}
