import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkerHandler } from "../../functions/worker/handler.js";
import type { Job } from "../../shared/domain/jobs.js";
import { DEFAULT_MAX_RECEIVES } from "../../shared/queue/delivery.js";
import { SqsJobQueue } from "../../shared/queue/sqs-job-queue.js";
import { memoryDeps } from "../doubles/memory.js";
import { type Moto, motoAvailable, startMoto } from "../helpers/moto.js";

/**
 * The job queue against moto_server's SQS: the adapter's batched sends, and the queue as the stack
 * configures it (a dead-letter queue after DEFAULT_MAX_RECEIVES receives): a message not deleted comes
 * back after the visibility timeout with its receive count raised, and goes to the dead-letter queue
 * after the last receive; the worker, told the same count, gives a job its final answer on that last
 * delivery, so a job never silently ends in the dead-letter queue.
 */
const available = motoAvailable("the SQS queue tests against moto_server");
let moto: Moto;
let sqs: SQSClient;
/** Short for the test; the stack's is six times the worker's timeout. The semantics are the same. */
const VISIBILITY_SECONDS = 2;

beforeAll(async () => {
  if (!available) return;
  moto = await startMoto();
  sqs = new SQSClient({ region: moto.env.AWS_REGION, endpoint: moto.url, credentials: { accessKeyId: "moto", secretAccessKey: "moto" } });
}, 60_000);

afterAll(async () => {
  sqs?.destroy();
  await moto?.close();
});

let queueCount = 0;
/** A jobs queue and its dead-letter queue, as the stack makes them. */
async function queues() {
  const name = `jobs-${++queueCount}`;
  const { QueueUrl: deadLetterUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dead-letters` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ["QueueArn"] }));
  const { QueueUrl: jobsUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(VISIBILITY_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: DEFAULT_MAX_RECEIVES }),
      },
    }),
  );
  return { jobsUrl: jobsUrl!, deadLetterUrl: deadLetterUrl! };
}

async function receive(queueUrl: string, max = 10): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, MessageSystemAttributeNames: ["ApproximateReceiveCount", "MessageGroupId"] }),
  );
  return Messages;
}

const pastVisibility = () => new Promise((resolve) => setTimeout(resolve, VISIBILITY_SECONDS * 1000 + 300));

/** What Lambda's event source mapping hands the worker for received messages. */
function eventOf(messages: Message[]): SQSEvent {
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body!,
      attributes: {
        ApproximateReceiveCount: message.Attributes!.ApproximateReceiveCount!,
        SentTimestamp: "0",
        SenderId: "moto",
        ApproximateFirstReceiveTimestamp: "0",
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody!,
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:jobs",
      awsRegion: "eu-west-1",
    })),
  };
}

describe.skipIf(!available)("the job queue on SQS (moto_server)", () => {
  it("sends every job once, in batches of at most ten, each message naming its job", async () => {
    const { jobsUrl } = await queues();
    const queue = new SqsJobQueue(
      (sdk) => new sdk.SQSClient({ region: moto.env.AWS_REGION, endpoint: moto.url, credentials: { accessKeyId: "moto", secretAccessKey: "moto" } }),
      jobsUrl,
    );
    const jobIds = Array.from({ length: 23 }, (_, index) => `job-${index}`);
    // A standard queue takes the caller's group (a fair queue's tenant) on every message.
    await queue.enqueue(jobIds, "caller-group-1");
    const received: string[] = [];
    for (let round = 0; round < 10 && received.length < jobIds.length; round++) {
      for (const message of await receive(jobsUrl)) {
        expect(message.Attributes?.MessageGroupId).toBe("caller-group-1");
        received.push((JSON.parse(message.Body!) as { job_id: string }).job_id);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: jobsUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
    expect(received.sort()).toEqual([...jobIds].sort());
    expect(await receive(jobsUrl)).toEqual([]);
  });

  it("hides a received message for the visibility timeout, then delivers it again with its count raised, and dead-letters it after the last receive", async () => {
    const { jobsUrl, deadLetterUrl } = await queues();
    const queue = new SqsJobQueue(
      (sdk) => new sdk.SQSClient({ region: moto.env.AWS_REGION, endpoint: moto.url, credentials: { accessKeyId: "moto", secretAccessKey: "moto" } }),
      jobsUrl,
    );
    await queue.enqueue(["job-crashing"]);
    const counts: string[] = [];
    for (let delivery = 1; delivery <= DEFAULT_MAX_RECEIVES; delivery++) {
      const [message] = await receive(jobsUrl);
      expect(message, `delivery ${delivery}`).toBeDefined();
      counts.push(message!.Attributes!.ApproximateReceiveCount!);
      // Not deleted (a worker that crashed): invisible until the timeout passes.
      expect(await receive(jobsUrl)).toEqual([]);
      await pastVisibility();
    }
    expect(counts).toEqual(Array.from({ length: DEFAULT_MAX_RECEIVES }, (_, index) => String(index + 1)));
    // The receive after the last one moves it to the dead-letter queue instead.
    expect(await receive(jobsUrl)).toEqual([]);
    const [dead] = await receive(deadLetterUrl);
    expect(JSON.parse(dead!.Body!)).toEqual({ job_id: "job-crashing" });
  }, 30_000);

  it("the worker retries a transient failure while deliveries remain and answers on the last one: the job fails with a body, nothing reaches the dead-letter queue", async () => {
    const { jobsUrl, deadLetterUrl } = await queues();
    const { deps, jobs, staging } = memoryDeps();
    const job: Job = {
      id: "00000000-0000-4000-8000-00000000f00d",
      owner: "fp:moto",
      caller: { userId: null, username: null, fingerprint: "moto", ipAddress: "198.51.100.9" },
      stagingKey: "uploads/job-f00d",
      style: null,
      stage: "queued",
      createdAt: "2026-03-01T12:00:00.000Z",
      updatedAt: "2026-03-01T12:00:00.000Z",
      expiresAt: "2026-03-02T12:00:00.000Z",
    };
    await jobs.create([job]);
    // The staged photo cannot be read (S3 resets every time): a fault that may pass, so retried.
    staging.read = async () => {
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    };
    const worker = createWorkerHandler(() => deps, { PHOTO_ANALYSIS_QUEUE_MAX_RECEIVES: String(DEFAULT_MAX_RECEIVES) });
    const queue = new SqsJobQueue(
      (sdk) => new sdk.SQSClient({ region: moto.env.AWS_REGION, endpoint: moto.url, credentials: { accessKeyId: "moto", secretAccessKey: "moto" } }),
      jobsUrl,
    );
    await queue.enqueue([job.id]);
    const outcomes: string[] = [];
    for (let delivery = 1; delivery <= DEFAULT_MAX_RECEIVES + 1; delivery++) {
      const messages = await receive(jobsUrl);
      if (!messages.length) break;
      const { batchItemFailures } = await worker(eventOf(messages));
      const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
      // As Lambda's event source mapping does: delete what succeeded, leave the failures to come back.
      for (const message of messages)
        if (!failed.has(message.MessageId!)) await sqs.send(new DeleteMessageCommand({ QueueUrl: jobsUrl, ReceiptHandle: message.ReceiptHandle! }));
      outcomes.push(failed.size ? `delivery ${delivery}: retry` : `delivery ${delivery}: answered`);
      await pastVisibility();
    }
    expect(outcomes).toEqual([
      ...Array.from({ length: DEFAULT_MAX_RECEIVES - 1 }, (_, index) => `delivery ${index + 1}: retry`),
      `delivery ${DEFAULT_MAX_RECEIVES}: answered`,
    ]);
    const failed = await jobs.get(job.id);
    expect(failed).toMatchObject({ stage: "failed", error: { status: 500 } });
    expect(await receive(jobsUrl)).toEqual([]);
    expect(await receive(deadLetterUrl)).toEqual([]);
  }, 30_000);
});
