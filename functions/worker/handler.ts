import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { AppError, BusyError, StorageError } from "../../shared/domain/errors.js";
import type { JobFailure } from "../../shared/domain/jobs.js";
import { maxReceivesFrom } from "../../shared/queue/delivery.js";
import { jobIdOf } from "../../shared/queue/sqs-job-queue.js";
import { createAnalysis } from "../../shared/runtime/analysis.js";
import { runJob } from "../../shared/usecases/run-job.js";
import { lambdaDeps, type DepsProvider } from "../deps.js";
import { errorResponse } from "../http.js";

const workerDeps: DepsProvider = () => lambdaDeps(createAnalysis);

/**
 * What a failure means for a job. A fault that may pass (another worker holds the photo, a storage
 * or network error, anything unexpected) is retried by the queue while deliveries remain; the last
 * delivery, and every answer the synchronous upload would have given (a bad photo, 429, a provider's
 * failure), make the job's final answer: that upload's status and body.
 */
export function jobFailureOf(error: unknown, jobId: string, lastDelivery: boolean): JobFailure | null {
  const transient = !(error instanceof AppError) || error instanceof BusyError || error instanceof StorageError;
  if (transient && !lastDelivery) return null;
  const answer = errorResponse(error, jobId);
  return { status: answer.statusCode ?? 500, body: JSON.parse(answer.body ?? "{}") as Record<string, unknown> };
}

/**
 * The queue's consumer: each message runs one job (through the upload use case). Partial batch
 * responses (Powertools' batch processing): only the messages that should run again are reported,
 * so one slow or failed photo never re-runs the others. Locally the in-process queue calls this same
 * handler with the same event shape.
 */
export function createWorkerHandler(getDeps: DepsProvider = workerDeps, env: NodeJS.ProcessEnv = process.env) {
  const maxReceives = maxReceivesFrom(env);
  return async (event: SQSEvent, context: Partial<Context> = {}): Promise<SQSBatchResponse> => {
    const deps = getDeps();
    const remaining = context.getRemainingTimeInMillis?.();
    const deadline = remaining === undefined ? undefined : new Date(Date.now() + remaining);
    // One processor per invocation: it holds the invocation's results (the local queue runs several at once).
    const processor = new BatchProcessor(EventType.SQS);
    const runRecord = async (record: SQSRecord) => {
      const jobId = jobIdOf(record.body);
      if (!jobId) {
        console.error("malformed job message dropped", record.messageId);
        return;
      }
      const lastDelivery = Number(record.attributes?.ApproximateReceiveCount ?? 1) >= maxReceives;
      await runJob(deps, jobId, {
        deadline,
        attempt: record.receiptHandle || record.messageId,
        failureOf: (error) => jobFailureOf(error, jobId, lastDelivery),
      });
    };
    return processPartialResponse(event, runRecord, processor, { context: context as Context, throwOnFullBatchFailure: false });
  };
}

export const handler = createWorkerHandler();
