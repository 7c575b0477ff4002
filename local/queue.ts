import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { DEFAULT_MAX_RECEIVES } from "../shared/queue/delivery.js";
import type { JobMessage } from "../shared/queue/sqs-job-queue.js";
import type { JobQueue } from "../shared/stores/ports.js";

/** What Lambda's SQS integration calls: the worker handler, with the time it has left. */
export type QueueConsumer = (event: SQSEvent, context: { getRemainingTimeInMillis(): number }) => Promise<SQSBatchResponse>;

export interface LocalQueueOptions {
  /** How long a delivered message stays hidden; also the consumer's time limit (default 150 s, above the worker's 120 s). */
  visibilityTimeoutMs?: number;
  /** Deliveries before a message goes to the dead letters (default 3, as the stack's redrive policy). */
  maxReceives?: number;
  /** Deliveries running at once (default 4: decoding overlaps the inference workers). */
  concurrency?: number;
  /**
   * Where the messages are kept across restarts (npm start's data folder), as SQS keeps them
   * whatever happens to its consumers; none: in memory only.
   */
  file?: string;
}

/** What the queue's file holds. */
interface QueueFile {
  messages: Message[];
  deadLetters: DeadLetter[];
}

interface DeadLetter {
  messageId: string;
  body: string;
  receiveCount: number;
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
  /** Whose job it is (JobQueue.enqueue's group): deliveries are shared fairly between groups. */
  group?: string;
}

/**
 * SQS for `npm start`, in process, with the semantics the worker relies on: at-least-once
 * delivery, a visibility timeout (a failed or timed-out delivery is hidden until it ends, then
 * delivered again), partial batch responses, and dead letters after `maxReceives` deliveries.
 * A consumer that never answers (a "killed" worker) is abandoned at the timeout, as Lambda's
 * would be, and its message delivered again. With a `file`, messages outlive the process: a
 * server stopped or killed with jobs waiting or running delivers them when it starts again
 * (a delivery under way when it died is hidden until its visibility timeout ends, as in SQS).
 * Callers are served fairly, as SQS fair queues serve message groups: a free slot goes to the
 * oldest visible message of the group with the fewest deliveries under way, so one caller's
 * backlog delays another caller's first job by at most one delivery, not by the whole backlog.
 */
export class LocalJobQueue implements JobQueue {
  readonly deadLetters: DeadLetter[] = [];
  private readonly messages: Message[] = [];
  private readonly visibilityTimeoutMs: number;
  private readonly maxReceives: number;
  private readonly concurrency: number;
  private consumer?: QueueConsumer;
  private inFlight = 0;
  /** Messages whose delivery is under way (the fair share counts them per group). */
  private readonly inFlightMessages = new Map<Message, number>();
  /** When each group was last given a slot (a running count), for round robin between equally busy groups. */
  private readonly lastServed = new Map<string | undefined, number>();
  private served = 0;
  private paused = false;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private idleWaiters: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();
  /** Messages whose delivery is being written to the file: not yet with their consumer, never delivered twice. */
  private readonly handingOver = new Set<Message>();
  private readonly file?: string;
  /** The write of the file under way, and whether the queue changed since it began. */
  private saving?: Promise<void>;
  private changed = false;
  /** Set when close() has written the file for the last time: from then on the next process owns it. */
  private released = false;

  constructor(options: LocalQueueOptions = {}) {
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 150_000;
    this.maxReceives = options.maxReceives ?? DEFAULT_MAX_RECEIVES;
    this.concurrency = options.concurrency ?? 4;
    this.file = options.file;
    if (this.file) {
      const saved = readQueueFile(this.file);
      this.messages.push(...saved.messages);
      this.deadLetters.push(...saved.deadLetters);
    }
  }

  /** The worker, set once the dependencies it needs (this queue among them) exist. */
  attach(consumer: QueueConsumer): void {
    this.consumer = consumer;
    this.pump();
  }

  /** Resolves once the messages are kept (written to the file, when there is one), as SendMessage does. */
  async enqueue(jobIds: string[], group?: string): Promise<void> {
    if (this.closed) throw new Error("The local job queue is closed");
    const sent = jobIds.map(
      (jobId): Message => ({
        messageId: randomUUID(),
        body: JSON.stringify({ job_id: jobId } satisfies JobMessage),
        sentAt: Date.now(),
        receiveCount: 0,
        visibleAt: 0,
        ...(group ? { group } : {}),
      }),
    );
    this.messages.push(...sent);
    try {
      await this.save();
    } catch (error) {
      // Not kept, so not sent: the caller is told and nothing of this call is delivered.
      for (const message of sent) this.remove(message);
      throw error;
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

  /**
   * Stops delivering; resolves when the deliveries under way have finished (or after `graceMs`)
   * and the file is written. Undelivered messages wait in the file for the next start (without
   * a file they are dropped).
   */
  async close(graceMs = 10_000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs).unref()))]);
    clearTimeout(timer);
    await this.save().catch((error) => console.error("job queue file not written", error));
    this.released = true;
  }

  private pump(): void {
    clearTimeout(this.timer);
    if (this.paused || this.closed || !this.consumer) return;
    const now = Date.now();
    while (this.inFlight < this.concurrency) {
      const message = this.nextFair(now);
      if (!message) break;
      const delivery = this.deliver(message, this.consumer);
      this.running.add(delivery);
      void delivery.finally(() => this.running.delete(delivery));
    }
    // Wake up when the next hidden message becomes visible again.
    const next = Math.min(...this.messages.filter((message) => message.visibleAt > now).map((message) => message.visibleAt));
    if (Number.isFinite(next)) this.timer = setTimeout(() => this.pump(), next - now).unref();
  }

  /**
   * The oldest visible message of the group with the fewest deliveries under way, and among those the
   * group served longest ago (a group never served first): round robin between equally busy groups.
   * Messages without a group form one group.
   */
  private nextFair(now: number): Message | undefined {
    const busy = new Map<string | undefined, number>();
    const waiting = new Map<string | undefined, Message>();
    for (const message of this.messages) {
      if (message.visibleAt > now || this.handingOver.has(message)) {
        busy.set(message.group, (busy.get(message.group) ?? 0) + (this.inFlightMessages.get(message) ?? 0));
        continue;
      }
      if (!waiting.has(message.group)) waiting.set(message.group, message);
    }
    const rank = (group: string | undefined) => [busy.get(group) ?? 0, this.lastServed.get(group) ?? -1] as const;
    let best: Message | undefined;
    for (const [group, message] of waiting) {
      if (!best) {
        best = message;
        continue;
      }
      const [mine, theirs] = [rank(group), rank(best.group)];
      if (mine[0] < theirs[0] || (mine[0] === theirs[0] && mine[1] < theirs[1])) best = message;
    }
    if (best) this.lastServed.set(best.group, ++this.served);
    return best;
  }

  private async deliver(message: Message, consumer: QueueConsumer): Promise<void> {
    const receipt = randomUUID();
    message.receipt = receipt;
    message.receiveCount += 1;
    const record = recordOf(message, receipt);
    // What the file says if the server dies during this delivery: hidden for one visibility timeout.
    message.visibleAt = Date.now() + this.visibilityTimeoutMs;
    this.inFlight += 1;
    this.inFlightMessages.set(message, (this.inFlightMessages.get(message) ?? 0) + 1);
    // Kept before the consumer runs: a server killed now redelivers after the timeout and counts this delivery.
    // Until the consumer has it the message stays hidden, however long the write takes: a slow disk
    // used to let the timeout lapse here and the same message go out a second time beside this one.
    this.handingOver.add(message);
    await this.save().catch((error) => console.error("job queue file not written", error));
    this.handingOver.delete(message);
    const deadline = Date.now() + this.visibilityTimeoutMs;
    message.visibleAt = deadline;
    let failed = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), this.visibilityTimeoutMs).unref();
      });
      const answer = await Promise.race([consumer({ Records: [record] }, { getRemainingTimeInMillis: () => deadline - Date.now() }), timedOut]);
      if (answer === "timeout") {
        // After close() the message is the next process's to deliver: a closed queue has nothing to say about it.
        if (!this.released) console.error(`job message ${message.messageId} timed out after ${this.visibilityTimeoutMs} ms; it will be delivered again`);
      } else failed = Boolean(answer?.batchItemFailures.some((failure) => failure.itemIdentifier === message.messageId));
    } catch (error) {
      console.error("job consumer failed", error);
    } finally {
      clearTimeout(timer);
      this.inFlight -= 1;
      const running = (this.inFlightMessages.get(message) ?? 1) - 1;
      if (running) this.inFlightMessages.set(message, running);
      else this.inFlightMessages.delete(message);
    }
    // A later delivery owns the message now (this one outlived the visibility timeout): its result decides.
    if (message.receipt === receipt) {
      if (!failed) this.remove(message);
      else if (message.receiveCount >= this.maxReceives) {
        this.remove(message);
        this.deadLetters.push({ messageId: message.messageId, body: message.body, receiveCount: message.receiveCount });
        console.error(`job message ${message.messageId} moved to the dead letters after ${message.receiveCount} deliveries`);
      }
      // A deletion not yet written is at worst one more delivery of a finished job (only announced again).
      void this.save().catch((error) => console.error("job queue file not written", error));
    }
    if (!this.closed) this.pump();
  }

  /**
   * Writes the messages to the file (a new file renamed over the old, so a crash leaves one or the
   * other whole). Writes never overlap: changes made during one are written by the next.
   */
  private async save(): Promise<void> {
    if (!this.file || this.released) return;
    this.changed = true;
    while (this.saving) await this.saving;
    if (!this.changed) return; // another caller's write, begun after this change, has it
    this.changed = false;
    const file = this.file;
    const snapshot: QueueFile = { messages: this.messages.map((message) => ({ ...message })), deadLetters: this.deadLetters };
    this.saving = (async () => {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify(snapshot));
      await rename(`${file}.tmp`, file);
    })().finally(() => (this.saving = undefined));
    await this.saving;
  }

  private remove(message: Message): void {
    const index = this.messages.indexOf(message);
    if (index >= 0) this.messages.splice(index, 1);
    if (!this.messages.some((other) => other.group === message.group)) this.lastServed.delete(message.group);
    if (!this.messages.length) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

/** The saved queue, or an empty one (no file yet). An unreadable file is an error worth stopping for: it holds jobs. */
function readQueueFile(file: string): QueueFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { messages: [], deadLetters: [] };
    throw error;
  }
  let saved: Partial<QueueFile> | null;
  try {
    saved = JSON.parse(text) as Partial<QueueFile> | null;
  } catch (error) {
    throw new Error(`The local job queue's file ${file} is not readable JSON (${(error as Error).message}); move it away to start with an empty queue.`);
  }
  const isMessage = (entry: unknown) => typeof (entry as Message)?.messageId === "string" && typeof (entry as Message)?.body === "string";
  if (
    !saved ||
    !Array.isArray(saved.messages) ||
    !Array.isArray(saved.deadLetters) ||
    !saved.messages.every(isMessage) ||
    !saved.deadLetters.every(isMessage)
  ) {
    throw new Error(
      `The local job queue's file ${file} does not hold a job queue ({"messages": [...], "deadLetters": [...]}); move it away to start with an empty queue.`,
    );
  }
  return {
    messages: saved.messages.map(({ receipt: _receipt, ...message }) => ({
      ...message,
      receiveCount: Number(message.receiveCount) || 0,
      visibleAt: Number(message.visibleAt) || 0,
    })),
    deadLetters: saved.deadLetters,
  };
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
