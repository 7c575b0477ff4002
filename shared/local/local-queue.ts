import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { DEFAULT_MAX_RECEIVES } from "../queue/delivery.js";
import type { JobMessage } from "../queue/sqs-job-queue.js";
import type { JobQueue } from "../stores/ports.js";

/** What Lambda's SQS integration calls: the worker handler, with the time it has left. */
export type QueueConsumer = (event: SQSEvent, context: { getRemainingTimeInMillis(): number }) => Promise<SQSBatchResponse>;

export interface LocalQueueOptions {
  /** How long a delivered message stays hidden; also the consumer's time limit (default 150 s, above the worker's 120 s). */
  visibilityTimeoutMs?: number;
  /** Deliveries before a message goes to the dead letters (default 3, as the stack's redrive policy). */
  maxReceives?: number;
  /** Deliveries running at once (default 4: decoding overlaps the inference workers). */
  concurrency?: number;
}

interface Message {
  messageId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  /** Epoch ms before which the message is hidden (in flight, or waiting out a failed delivery). */
  visibleAt: number;
  /** The current delivery's receipt: only it may delete the message. */
  receipt?: string;
}

/**
 * SQS for `npm start`, in process, with the semantics the worker relies on: at-least-once
 * delivery, a visibility timeout (a failed or timed-out delivery is hidden until it ends, then
 * delivered again), partial batch responses, and dead letters after `maxReceives` deliveries.
 * A consumer that never answers (a "killed" worker) is abandoned at the timeout, as Lambda's
 * would be, and its message delivered again.
 */
export class LocalJobQueue implements JobQueue {
  readonly deadLetters: { messageId: string; body: string; receiveCount: number }[] = [];
  private readonly messages: Message[] = [];
  private readonly visibilityTimeoutMs: number;
  private readonly maxReceives: number;
  private readonly concurrency: number;
  private consumer?: QueueConsumer;
  private inFlight = 0;
  private paused = false;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private idleWaiters: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(options: LocalQueueOptions = {}) {
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 150_000;
    this.maxReceives = options.maxReceives ?? DEFAULT_MAX_RECEIVES;
    this.concurrency = options.concurrency ?? 4;
  }

  /** The worker, set once the dependencies it needs (this queue among them) exist. */
  attach(consumer: QueueConsumer): void {
    this.consumer = consumer;
    this.pump();
  }

  async enqueue(jobIds: string[]): Promise<void> {
    if (this.closed) throw new Error("The local job queue is closed");
    for (const jobId of jobIds) {
      this.messages.push({ messageId: randomUUID(), body: JSON.stringify({ job_id: jobId } satisfies JobMessage), sentAt: Date.now(), receiveCount: 0, visibleAt: 0 });
    }
    queueMicrotask(() => this.pump());
  }

  /** Holds deliveries (tests use it to subscribe before a job starts). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Messages not yet deleted (waiting, in flight, or hidden after a failure). */
  get depth(): number {
    return this.messages.length;
  }

  /** Resolves when every message has been deleted or dead-lettered. */
  idle(): Promise<void> {
    if (!this.messages.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops delivering; resolves when the deliveries under way have finished (or after `graceMs`). Undelivered messages are dropped, as a stopped server's would be. */
  async close(graceMs = 10_000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs).unref()))]);
    clearTimeout(timer);
  }

  private pump(): void {
    clearTimeout(this.timer);
    if (this.paused || this.closed || !this.consumer) return;
    const now = Date.now();
    for (const message of this.messages) {
      if (this.inFlight >= this.concurrency) break;
      if (message.visibleAt > now) continue;
      const delivery = this.deliver(message, this.consumer);
      this.running.add(delivery);
      void delivery.finally(() => this.running.delete(delivery));
    }
    // Wake up when the next hidden message becomes visible again.
    const next = Math.min(...this.messages.filter((message) => message.visibleAt > now).map((message) => message.visibleAt));
    if (Number.isFinite(next)) this.timer = setTimeout(() => this.pump(), next - now).unref();
  }

  private async deliver(message: Message, consumer: QueueConsumer): Promise<void> {
    const receipt = randomUUID();
    const deadline = Date.now() + this.visibilityTimeoutMs;
    message.receipt = receipt;
    message.receiveCount += 1;
    message.visibleAt = deadline;
    this.inFlight += 1;
    let failed = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), this.visibilityTimeoutMs).unref();
      });
      const answer = await Promise.race([consumer({ Records: [recordOf(message, receipt)] }, { getRemainingTimeInMillis: () => deadline - Date.now() }), timedOut]);
      if (answer === "timeout") console.error(`job message ${message.messageId} timed out after ${this.visibilityTimeoutMs} ms; it will be delivered again`);
      else failed = Boolean(answer?.batchItemFailures.some((failure) => failure.itemIdentifier === message.messageId));
    } catch (error) {
      console.error("job consumer failed", error);
    } finally {
      clearTimeout(timer);
      this.inFlight -= 1;
    }
    // A later delivery owns the message now (this one outlived the visibility timeout): its result decides.
    if (message.receipt === receipt) {
      if (!failed) this.remove(message);
      else if (message.receiveCount >= this.maxReceives) {
        this.remove(message);
        this.deadLetters.push({ messageId: message.messageId, body: message.body, receiveCount: message.receiveCount });
        console.error(`job message ${message.messageId} moved to the dead letters after ${message.receiveCount} deliveries`);
      }
    }
    if (!this.closed) this.pump();
  }

  private remove(message: Message): void {
    const index = this.messages.indexOf(message);
    if (index >= 0) this.messages.splice(index, 1);
    if (!this.messages.length) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

function recordOf(message: Message, receipt: string): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: receipt,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: "local",
      ApproximateFirstReceiveTimestamp: String(message.sentAt),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:local:000000000000:photo-analysis-jobs",
    awsRegion: "local",
  };
}
