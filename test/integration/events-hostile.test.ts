import { connect } from "node:net";
import fc from "fast-check";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScratchService } from "../helpers/local-service.js";
import type { LocalService } from "../../local/service.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { openWatcher } from "../helpers/socket.js";
import { captureLogs } from "../helpers/console.js";

/**
 * Hostile clients of the progress WebSocket on `npm start`'s server: whatever a client sends, or
 * however it drops, it gets a clear answer or loses its own connection, and the server lives on.
 */

let fake: FakeOpenAI;
let local: LocalService;
let eventsUrl: string;
let ownJob: string;

beforeAll(async () => {
  fake = await new FakeOpenAI().start();
  // What clients say, not how fast: the 300 random messages below go out at once, far past the message
  // cap (events-caps.test.ts tests the caps).
  local = await startScratchService({
    env: { OPENAI_API_KEY: "sk-events", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_EVENTS_MAX_MESSAGES_PER_SECOND: "1000" },
  });
  eventsUrl = `${local.url.replace("http", "ws")}/api/photo-analysis/events/?fingerprint=fp-hostile`;
  local.queue.pause(); // the job stays queued: its state is all a subscriber needs here
  const body = new FormData();
  body.append("image", new Blob([Buffer.from("not a photo")], { type: "image/jpeg" }), "x.jpg");
  body.append("fingerprint", "fp-hostile");
  const response = await fetch(`${local.url}/api/photo-analysis/upload/`, { method: "POST", body, headers: { prefer: "respond-async" } });
  expect(response.status).toBe(202);
  ownJob = ((await response.json()) as { job_id: string }).job_id;
});
afterAll(async () => {
  await local.close();
  await fake.close();
});

async function serverAlive(): Promise<void> {
  expect((await fetch(`${local.url}/api/photo-analysis/health/`)).status).toBe(200);
  const watcher = await openWatcher(eventsUrl);
  watcher.send({ action: "subscribe", job_id: ownJob });
  expect(await watcher.next((message) => message.type === "progress")).toMatchObject({ job_id: ownJob, stage: "queued" });
  watcher.close();
}

describe("the local events WebSocket under hostile clients", () => {
  it("closes a connection that sends a frame over API Gateway's 128 KB (1009), and only that one", async () => {
    captureLogs(); // this path logs on purpose
    const bystander = await openWatcher(eventsUrl);
    const socket = new WebSocket(eventsUrl);
    await new Promise((resolve) => socket.once("open", resolve));
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    socket.on("error", () => {});
    socket.send("x".repeat(200 * 1024));
    expect(await closed).toBe(1009);
    bystander.send({ action: "subscribe", job_id: ownJob });
    expect(await bystander.next((message) => message.type === "progress")).toMatchObject({ stage: "queued" });
    bystander.close();
    await serverAlive();
  });

  it("survives clients that reset the connection during the handshake, while $connect is running", async () => {
    const port = Number(new URL(local.url).port);
    await Promise.all(
      Array.from(
        { length: 60 },
        (_, index) =>
          new Promise<void>((resolve) => {
            const socket = connect(port, "127.0.0.1", () => {
              socket.write(
                "GET /api/photo-analysis/events/?fingerprint=fp-reset HTTP/1.1\r\nHost: local\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
              );
              setTimeout(() => socket.resetAndDestroy(), index % 15);
            });
            socket.on("error", () => {});
            socket.on("close", () => resolve());
          }),
      ),
    );
    await serverAlive();
  });

  it("treats messages naming $connect or $disconnect as unknown messages: the connection and its owner stay as they were", async () => {
    const watcher = await openWatcher(eventsUrl);
    watcher.send({ action: "$connect" });
    watcher.send({ action: "$disconnect" });
    const errors = await watcher.until((message) => message.type === "error", 2);
    expect(errors.map((message) => message.error)).toEqual([expect.stringMatching(/^Unknown message/), expect.stringMatching(/^Unknown message/)]);
    watcher.send({ action: "subscribe", job_id: ownJob });
    expect(await watcher.next((message) => message.type === "progress")).toMatchObject({ job_id: ownJob });
    watcher.close();
  });

  it("answers each of 300 random messages (text, JSON, binary, odd actions and ids) with one error, and keeps serving", async () => {
    const id = fc.oneof(fc.uuid(), fc.string(), fc.anything(), fc.constant(`${ownJob.toUpperCase()} `), fc.constant("__proto__"));
    const message = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }).map((text) => ({ text })),
      fc.json().map((text) => ({ text })),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ binary: Buffer.from(bytes) })),
      fc
        .record(
          {
            action: fc.oneof(
              fc.constantFrom("subscribe", "Subscribe", "$default", "$connect", "$disconnect", "__proto__", "constructor", "toString"),
              fc.string(),
            ),
            job_id: id,
            batch_id: id,
          },
          { requiredKeys: ["action"] },
        )
        // A lone, well-formed id of someone's job is a real subscription; everything else must be refused.
        .filter((candidate) => !(typeof candidate.job_id === "string" && candidate.job_id.trim().toLowerCase() === ownJob && candidate.batch_id === undefined))
        .map((candidate) => ({ text: JSON.stringify(candidate) })),
    );
    const messages = fc.sample(message, { numRuns: 300, seed: 4242 });
    const socket = new WebSocket(eventsUrl);
    const received: { type: string }[] = [];
    socket.on("message", (data) => received.push(JSON.parse(data.toString())));
    await new Promise((resolve) => socket.once("open", resolve));
    for (const sent of messages) {
      if ("binary" in sent) socket.send(sent.binary, { binary: true });
      else socket.send(sent.text ?? "");
    }
    const deadline = Date.now() + 20_000;
    while (received.length < messages.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more comes
    socket.close();
    expect(received).toHaveLength(messages.length);
    expect(received.every((reply) => reply.type === "error")).toBe(true);
    await serverAlive();
  });
});
