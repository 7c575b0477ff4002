import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalService } from "../../local/service.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { startScratchService } from "../helpers/local-service.js";
import { distinctImages } from "../helpers/photos.js";
import { closeAll, openWatcher, refusedHandshake, tryConnect } from "../helpers/socket.js";

/**
 * The progress WebSocket's caps on `npm start`'s server, with real clients: connections per address
 * and per caller (429 at the handshake), subscriptions per connection, messages per second (1008).
 * A flood held to those caps leaves the embedded table free for everyone else's requests.
 */
let fake: FakeOpenAI;
let local: LocalService;
let eventsBase: string;
let analysisId: string;
const jobs: string[] = [];

const PER_IP = 20;

beforeAll(async () => {
  fake = await new FakeOpenAI().start();
  local = await startScratchService({ env: { OPENAI_API_KEY: "sk-caps", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_EVENTS_MAX_SUBSCRIPTIONS: "3" } });
  eventsBase = `${local.url.replace("http", "ws")}/api/photo-analysis/events/`;
  const upload = (bytes: Buffer, fingerprint: string, prefer?: string) => {
    const body = new FormData();
    body.append("image", new Blob([bytes], { type: "image/png" }), "x.png");
    body.append("fingerprint", fingerprint);
    return fetch(`${local.url}/api/photo-analysis/upload/`, { method: "POST", body, headers: prefer ? { prefer } : {} });
  };
  const [analyzed, ...queued] = await distinctImages(5, 31);
  const done = await upload(analyzed!, "fp-bystander");
  expect(done.status).toBe(201);
  analysisId = ((await done.json()) as { analysis: { id: string } }).analysis.id;
  local.queue.pause(); // jobs stay queued: their state is all a subscriber needs
  for (const bytes of queued) {
    const accepted = await upload(bytes, "fp-owner", "respond-async");
    expect(accepted.status).toBe(202);
    jobs.push(((await accepted.json()) as { job_id: string }).job_id);
  }
});
afterAll(async () => {
  await local?.close();
  await fake?.close();
});

/** Once the server has run every $disconnect, the address has room again. */
async function addressHasRoom(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const attempt = await tryConnect(`${eventsBase}?fingerprint=fp-room-${Date.now()}`);
    if (attempt.socket) return closeAll([attempt.socket]);
    if (Date.now() > deadline) throw new Error(`no room: ${JSON.stringify(attempt.refused)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the progress WebSocket's caps", () => {
  it("refuses 500 connections from one address past its cap (429), and takes new ones once they close", async () => {
    const attempts = await Promise.all(Array.from({ length: 500 }, (_, index) => tryConnect(`${eventsBase}?fingerprint=fp-many-${index}`)));
    const open = attempts.flatMap((attempt) => (attempt.socket ? [attempt.socket] : []));
    const refused = attempts.flatMap((attempt) => (attempt.refused ? [attempt.refused] : []));
    expect(open).toHaveLength(PER_IP);
    expect(refused).toHaveLength(500 - PER_IP);
    for (const refusal of refused) {
      expect(refusal.status).toBe(429);
      expect(refusal.body).toMatchObject({
        error: "Too many connections",
        detail: expect.stringMatching(/^At most 20 progress connections may be open at once from one address/),
      });
    }
    await closeAll(open);
    await addressHasRoom();
  }, 120_000);

  it("refuses a caller's connections past its own cap", async () => {
    const url = `${eventsBase}?fingerprint=fp-one-caller`;
    const open = await Promise.all(Array.from({ length: 5 }, () => openWatcher(url)));
    const sixth = await refusedHandshake(url);
    expect(sixth.status).toBe(429);
    expect(sixth.body).toMatchObject({ detail: expect.stringMatching(/per caller/) });
    for (const watcher of open) watcher.close();
    await addressHasRoom();
  });

  it("caps a connection's subscriptions, and closes one that sends past its message rate with 1008", async () => {
    const watcher = await openWatcher(`${eventsBase}?fingerprint=fp-owner`);
    // One at a time, as a client waiting for each answer would (messages of one connection may be handled side by side).
    for (const [index, job] of [jobs[0], jobs[1], jobs[2], jobs[0], jobs[3]].entries()) {
      watcher.send({ action: "subscribe", job_id: job });
      await watcher.until(() => true, index + 1);
    }
    expect(watcher.messages.map((message) => message.type)).toEqual(["progress", "progress", "progress", "progress", "error"]);
    expect(watcher.messages[4]!.error).toBe("Too many subscriptions: at most 3 on one connection (a batch is one).");
    watcher.close();

    const socket = new WebSocket(`${eventsBase}?fingerprint=fp-chatty`);
    const received: { type: string; error?: string }[] = [];
    socket.on("message", (data) => received.push(JSON.parse(data.toString())));
    await new Promise((resolve) => socket.once("open", resolve));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    for (let index = 0; index < 30; index++) socket.send(JSON.stringify({ action: "subscribe", job_id: jobs[0] }));
    expect(await closed).toEqual({ code: 1008, reason: "Too many messages" });
    expect(received.at(-1)).toEqual({ type: "error", error: "Too many messages: at most 10 per second. Closing this connection." });
    expect(received.filter((message) => message.error === "Not found.")).toHaveLength(10); // another caller's job: the first 10 were answered
    await addressHasRoom();
  });

  it("keeps the table free for others while 200 sockets send 20 subscribes each", async () => {
    const attempts = await Promise.all(Array.from({ length: 200 }, (_, index) => tryConnect(`${eventsBase}?fingerprint=fp-flood-${index}`)));
    const open = attempts.flatMap((attempt) => (attempt.socket ? [attempt.socket] : []));
    expect(open).toHaveLength(PER_IP);
    // Each socket ends answered in full (its messages reached the server spread over more than a second,
    // as a loaded machine may deliver them) or closed for sending too fast; either way every message is accounted for.
    const settled = open.map(
      (socket) =>
        new Promise<{ answers: number; closedWith?: number }>((resolve) => {
          let answers = 0;
          socket.on("message", () => {
            if (++answers === 20) resolve({ answers });
          });
          socket.once("close", (code) => resolve({ answers, closedWith: code }));
        }),
    );
    for (const socket of open) for (let index = 0; index < 20; index++) socket.send(JSON.stringify({ action: "subscribe", job_id: jobs[index % jobs.length] }));
    const read = await fetch(`${local.url}/api/photo-analysis/${analysisId}/`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { id: string }).id).toBe(analysisId);
    const outcomes = await Promise.all(settled);
    for (const outcome of outcomes) {
      if (outcome.closedWith === undefined) expect(outcome.answers).toBe(20);
      else expect(outcome).toMatchObject({ closedWith: 1008, answers: expect.any(Number) });
    }
    expect(outcomes.some((outcome) => outcome.closedWith === 1008)).toBe(true);
    expect((await fetch(`${local.url}/api/photo-analysis/health/`)).status).toBe(200);
    await closeAll(open);
    await addressHasRoom();
  }, 120_000);
});
