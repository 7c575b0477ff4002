import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiGatewayConnections } from "../../shared/notifications/api-gateway-connections.js";
import { SqsJobQueue } from "../../shared/queue/sqs-job-queue.js";
import { FakeConnectionsApi, FakeSqs } from "../helpers/fake-aws-async.js";
import { captureLogs } from "../helpers/console.js";

/** The AWS adapters of the queue and notification ports, against loopback servers speaking their wire formats. */

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let sqs: FakeSqs;
let connections: FakeConnectionsApi;

beforeAll(async () => {
  sqs = await new FakeSqs().start();
  connections = await new FakeConnectionsApi().start();
});
afterAll(async () => {
  await sqs.close();
  await connections.close();
});

describe("SqsJobQueue", () => {
  it("sends jobs in SendMessageBatch calls of at most 10 to the queue URL's host, and resends only the entries SQS refused", async () => {
    captureLogs(); // this path logs on purpose
    const queue = new SqsJobQueue(() => new SQSClient({ region: "us-east-1", credentials }), sqs.queueUrl);
    const ids = Array.from({ length: 23 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    sqs.refuse = [ids[4]!];
    await queue.enqueue(ids);
    expect(sqs.received.map((call) => [call.target, call.queueUrl, call.entries.length])).toEqual([
      ["AmazonSQS.SendMessageBatch", sqs.queueUrl, 10],
      ["AmazonSQS.SendMessageBatch", sqs.queueUrl, 1], // the refused entry, again
      ["AmazonSQS.SendMessageBatch", sqs.queueUrl, 10],
      ["AmazonSQS.SendMessageBatch", sqs.queueUrl, 3],
    ]);
    const delivered = sqs.received.flatMap((call) => call.entries.map((entry) => JSON.parse(entry.MessageBody).job_id));
    expect(new Set(delivered)).toEqual(new Set(ids));
  });

  it("fails (so nothing claims to be queued) when SQS refuses an entry twice", async () => {
    captureLogs(); // this path logs on purpose
    const queue = new SqsJobQueue(() => new SQSClient({ region: "us-east-1", credentials }), sqs.queueUrl);
    sqs.refuse = ["job-twice", "job-twice"];
    await expect(queue.enqueue(["job-twice"])).rejects.toThrow(/SQS refused 1 message\(s\): InternalError/);
  });
});

describe("ApiGatewayConnections", () => {
  const gateway = () =>
    new ApiGatewayConnections(
      () => new ApiGatewayManagementApiClient({ region: "us-east-1", credentials, endpoint: `${connections.url}/dev`, maxAttempts: 1 }),
    );

  it("posts JSON to a live connection, reports a gone one (410) as false, and throws on other failures", async () => {
    connections.gone.add("gone=");
    connections.broken.add("broken=");
    expect(await gateway().post("live=", { type: "progress", stage: "done" })).toBe(true);
    expect(connections.posted.get("live=")).toEqual([{ type: "progress", stage: "done" }]);
    expect(await gateway().post("gone=", { type: "progress" })).toBe(false);
    await expect(gateway().post("broken=", { type: "progress" })).rejects.toThrow();
  });

  it("closes a connection with DeleteConnection, quietly when it is already gone, and throws on other failures", async () => {
    await gateway().close("abusive=", 1008, "Too many messages");
    expect(connections.deleted).toEqual(["abusive="]);
    expect(await gateway().post("abusive=", { type: "progress" })).toBe(false);
    await gateway().close("abusive=", 1008, "Too many messages");
    await expect(gateway().close("broken=", 1008, "Too many messages")).rejects.toThrow();
  });
});
