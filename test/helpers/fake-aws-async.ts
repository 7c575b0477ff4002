import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A fake AWS service on a loopback port: its `url` once started. */
abstract class LoopbackFake {
  protected abstract readonly server: Server;
  url = "";

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * SQS's wire format (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.SendMessageBatch`), enough for the job
 * queue: it keeps what it was sent and can refuse chosen entries (SQS's per-entry `Failed`).
 */
export class FakeSqs extends LoopbackFake {
  readonly received: { target: string; queueUrl: string; entries: { Id: string; MessageBody: string }[] }[] = [];
  /** Entries whose body contains one of these strings are refused, each once per listed occurrence. */
  refuse: string[] = [];
  protected readonly server = createServer(async (request, response) => {
    const body = JSON.parse((await bodyOf(request)).toString()) as { QueueUrl: string; Entries: { Id: string; MessageBody: string }[] };
    const target = String(request.headers["x-amz-target"]);
    this.received.push({ target, queueUrl: body.QueueUrl, entries: body.Entries });
    const successful = [];
    const failed = [];
    for (const entry of body.Entries) {
      const refusal = this.refuse.findIndex((text) => entry.MessageBody.includes(text));
      if (refusal >= 0) {
        this.refuse.splice(refusal, 1);
        failed.push({ Id: entry.Id, SenderFault: false, Code: "InternalError", Message: "try again" });
      } else {
        successful.push({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: createHash("md5").update(entry.MessageBody).digest("hex") });
      }
    }
    response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
    response.end(JSON.stringify({ Successful: successful, Failed: failed }));
  });

  get queueUrl() {
    return `${this.url}/000000000000/photo-analysis-jobs`;
  }
}

/**
 * API Gateway's management API (`POST /@connections/{id}`, `DELETE` to close): records what each live
 * connection was sent and which were closed; connections in `gone` answer 410 GoneException as closed
 * ones do, `broken` ones 500.
 */
export class FakeConnectionsApi extends LoopbackFake {
  readonly posted = new Map<string, unknown[]>();
  readonly deleted: string[] = [];
  readonly gone = new Set<string>();
  readonly broken = new Set<string>();
  protected readonly server = createServer(async (request, response) => {
    const match = /^(?:\/[^/@]+)?\/@connections\/([^/?]+)/.exec(request.url ?? "");
    const body = await bodyOf(request);
    const id = match ? decodeURIComponent(match[1]!) : "";
    if (!match || (request.method !== "POST" && request.method !== "DELETE")) {
      response.writeHead(404).end();
      return;
    }
    if (this.gone.has(id) || this.broken.has(id)) {
      const type = this.gone.has(id) ? "GoneException" : "InternalServerErrorException";
      response.writeHead(this.gone.has(id) ? 410 : 500, { "content-type": "application/json", "x-amzn-errortype": type });
      response.end(JSON.stringify({ message: type }));
      return;
    }
    if (request.method === "DELETE") {
      this.deleted.push(id);
      this.gone.add(id);
      response.writeHead(204).end();
      return;
    }
    this.posted.set(id, [...(this.posted.get(id) ?? []), JSON.parse(body.toString())]);
    response.writeHead(200).end();
  });
}

/** Rekognition's DetectModerationLabels (AWS JSON 1.1): answers with `labels`, records what it was sent. */
export class FakeRekognition extends LoopbackFake {
  labels: { Name: string; ParentName: string; Confidence: number; TaxonomyLevel: number }[] = [];
  readonly received: { target: string; bytes: number }[] = [];
  protected readonly server = createServer(async (request, response) => {
    const body = JSON.parse((await bodyOf(request)).toString()) as { Image?: { Bytes?: string } };
    this.received.push({ target: String(request.headers["x-amz-target"]), bytes: Buffer.from(body.Image?.Bytes ?? "", "base64").length });
    response.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    response.end(JSON.stringify({ ModerationLabels: this.labels, ModerationModelVersion: "7.0" }));
  });
}

/**
 * CloudFormation's side of a custom resource: the presigned URL a handler PUTs its answer to
 * (`ResponseURL`). Keeps every answer.
 */
export class FakeCloudFormationResponses extends LoopbackFake {
  readonly responses: {
    Status: string;
    Reason?: string;
    PhysicalResourceId: string;
    RequestId: string;
    LogicalResourceId: string;
    Data?: Record<string, string>;
  }[] = [];
  protected readonly server = createServer(async (request, response) => {
    this.responses.push(JSON.parse((await bodyOf(request)).toString()));
    response.writeHead(200).end();
  });

  get responseUrl() {
    return `${this.url}/cloudformation-response`;
  }
}
