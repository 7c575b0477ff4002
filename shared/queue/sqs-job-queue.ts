import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { JobQueue } from "../stores/ports.js";

/** SQS takes at most 10 messages per SendMessageBatch. */
const SQS_BATCH_LIMIT = 10;

/** The message the worker receives: which job to run. */
export interface JobMessage {
  job_id: string;
}

/** Jobs to the worker through SQS; entries SQS reports as failed are sent once more, then it is an error. */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobIds: string[]): Promise<void> {
    for (let start = 0; start < jobIds.length; start += SQS_BATCH_LIMIT) {
      let pending = jobIds.slice(start, start + SQS_BATCH_LIMIT);
      for (let attempt = 0; pending.length; attempt++) {
        const answer = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: pending.map((jobId) => ({ Id: jobId.replace(/[^\w-]/g, "_"), MessageBody: JSON.stringify({ job_id: jobId } satisfies JobMessage) })),
          }),
        );
        const failed = new Set((answer.Failed ?? []).map((entry) => entry.Id));
        pending = pending.filter((jobId) => failed.has(jobId.replace(/[^\w-]/g, "_")));
        if (pending.length && attempt >= 1) throw new Error(`SQS refused ${pending.length} message(s): ${answer.Failed?.map((entry) => entry.Code).join(", ")}`);
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
