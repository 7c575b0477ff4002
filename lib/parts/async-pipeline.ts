import { Duration, type Stack } from "aws-cdk-lib";
import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { FunctionAccess } from "../../functions/routes.js";
import { DEFAULT_MAX_RECEIVES } from "../../shared/queue/delivery.js";
import { ALARM_PERIOD, type Alarms } from "./alarms.js";
import type { ProgressEvents } from "./websocket-api.js";

/** Async analysis: the jobs queue with its dead-letter queue (alarmed), the rights to queue jobs, and the worker that consumes them. */
export class JobPipeline {
  readonly deadLetters: Queue;
  readonly jobs: Queue;

  constructor(stack: Stack, props: { workerTimeoutSeconds: number; alarms: Alarms }) {
    this.deadLetters = new Queue(stack, "JobsDeadLetters", { retentionPeriod: Duration.days(14), enforceSSL: true, encryption: QueueEncryption.SQS_MANAGED });
    this.jobs = new Queue(stack, "Jobs", {
      // Above the worker's timeout (AWS advises six times it), so a running job is never handed out twice.
      visibilityTimeout: Duration.seconds(props.workerTimeoutSeconds * 6),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: DEFAULT_MAX_RECEIVES },
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
    });
    props.alarms.add(
      "JobsDeadLettered",
      "Async analysis jobs reached the dead-letter queue",
      this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: "Maximum" }),
      1,
    );
  }

  /** For the functions whose access says `queue`: SendMessage, the queue's URL and the progress API's address (clients are told it). */
  grantSend(fn: LambdaFunction, access: FunctionAccess, events: ProgressEvents): void {
    if (!access.queue) return;
    // SendMessage(Batch) only (grantSendMessages would add GetQueueAttributes and GetQueueUrl, which nothing calls).
    fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ["sqs:SendMessage"], resources: [this.jobs.queueArn] }));
    fn.addEnvironment("PHOTO_ANALYSIS_QUEUE_URL", this.jobs.queueUrl);
    fn.addEnvironment("PHOTO_ANALYSIS_EVENTS_URL", events.stage.url);
  }

  /** The worker consumes the queue with partial batch responses (only failed messages come back). */
  consumeWith(worker: LambdaFunction, maxConcurrency: number): void {
    worker.addEnvironment("PHOTO_ANALYSIS_QUEUE_MAX_RECEIVES", String(DEFAULT_MAX_RECEIVES));
    worker.addEventSource(new SqsEventSource(this.jobs, { batchSize: 5, reportBatchItemFailures: true, maxConcurrency }));
  }
}
