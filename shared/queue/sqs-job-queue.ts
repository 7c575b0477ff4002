import { createRequire } from "node:module";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { JobQueue } from "../stores/ports.js";

type SqsSdk = typeof import("@aws-sdk/client-sqs");

// require, not import(): in the Lambda bundle (CommonJS) the SDK resolves from the runtime's modules
// through NODE_PATH, which a dynamic import() would not consult.
const require = createRequire(import.meta.url);
const sqsSdk = () => require("@aws-sdk/client-sqs") as SqsSdk;

/** SQS takes at most 10 messages per SendMessageBatch. */
const SQS_BATCH_LIMIT = 10;

/** The message the worker receives: which job to run. */
export interface JobMessage {
  job_id: string;
}

/**
 * Jobs to the worker through SQS; entries SQS reports as failed are sent once more, then it is an
 * error. The SDK is loaded on first use: only the functions that queue pay for it at start. Each
 * message carries its caller's group as MessageGroupId: on a standard queue that makes it a fair
 * queue (a caller with a backlog is served after quiet callers), with no ordering or throughput cost.
 */
export class SqsJobQueue implements JobQueue {
  private client?: SQSClient;

  constructor(
    private readonly makeClient: (sdk: SqsSdk) => SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobIds: string[], group?: string): Promise<void> {
    const sdk = sqsSdk();
    this.client ??= this.makeClient(sdk);
    const client = this.client;
    const { SendMessageBatchCommand } = sdk;
    for (let start = 0; start < jobIds.length; start += SQS_BATCH_LIMIT) {
      let pending = jobIds.slice(start, start + SQS_BATCH_LIMIT);
      for (let attempt = 0; pending.length; attempt++) {
        const answer = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: pending.map((jobId) => ({
              Id: jobId.replace(/[^\w-]/g, "_"),
              MessageBody: JSON.stringify({ job_id: jobId } satisfies JobMessage),
              ...(group ? { MessageGroupId: group } : {}),
            })),
          }),
        );
        const failed = new Set((answer.Failed ?? []).map((entry) => entry.Id));
        pending = pending.filter((jobId) => failed.has(jobId.replace(/[^\w-]/g, "_")));
        if (pending.length && attempt >= 1)
          throw new Error(`SQS refused ${pending.length} message(s): ${answer.Failed?.map((entry) => entry.Code).join(", ")}`);
      }
    }
  }
}

/** The job a message names, or null for a malformed one (dropped: redelivering it cannot help). */
export function jobIdOf(body: string): string | null {
  try {
    const message = JSON.parse(body) as Partial<JobMessage>;
    return typeof message.job_id === "string" && message.job_id ? message.job_id : null;
  } catch {
    return null;
  }
}
