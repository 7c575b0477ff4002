import { request as httpRequest } from "node:http";
import { readFile } from "node:fs/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { LocalService } from "../../local/service.js";
import { HeicWorkers } from "../../shared/image/heic.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { healthLatencies, startScratchService } from "../helpers/local-service.js";
import { closeAll, tryConnect } from "../helpers/socket.js";
import { distinctImages } from "../helpers/photos.js";
import { median, percentile } from "./stats.js";

/**
 * `npm run bench -- abuse`: what an abusive client can make `npm start`'s server do, and what it
 * costs everyone else. A burst of 35 MP HEICs (health p50/p99 meanwhile, the event loop's longest
 * stall, RSS before / at the peak / once the decoders are idle); how long bodies built to make the
 * parsers work take to be refused; how the WebSocket caps answer a crowd of connections and a flood
 * of messages, and what an unrelated read costs meanwhile. BENCH_HEIC_BURST sets the burst (4).
 * Then, with the default limits on (shared/usecases/meter.ts), what one anonymous caller can make the
 * service spend: provider calls against analyses charged when every reply is unusable, decodes and
 * moderation calls against the upload budget, upload-URL tickets from one address, batches queued
 * with nothing left, and how long another caller's first async job waits behind a flood.
 */
export async function benchAbuse(): Promise<void> {
  console.log("\n## abuse: decoding, parsing and the WebSocket caps on npm start's server");
  const fake = await new FakeOpenAI().start();
  const local = await startScratchService({ env: { OPENAI_API_KEY: "sk-bench", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_ENABLE_RATE_LIMITING: "false" } });
  try {
    await heicBurst(local, Number(process.env.BENCH_HEIC_BURST ?? 4));
    await oversizedBodies(local);
    await socketCrowds(local);
  } finally {
    await local.close();
  }
  const metered = await startScratchService({ env: { OPENAI_API_KEY: "sk-bench", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0" } });
  try {
    await metering(metered, fake);
  } finally {
    await metered.close();
    await fake.close();
  }
}

/** What one caller can make the service spend, against the meter's bounds (the default settings). */
async function metering(local: LocalService, fake: FakeOpenAI): Promise<void> {
  const settings = await local.deps.settings();
  const units = settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS;
  const budget = units * settings.PHOTO_ANALYSIS_UPLOADS_PER_ANALYSIS;
  const quietErrors = console.error;
  console.error = () => {};
  try {
    // Unusable replies (billed): each keeps its unit, and each photo's failure is remembered.
    fake.behaviors = [{ kind: "content", content: "Here you go: https://example.com" }];
    const photos = await distinctImages(12, 4040);
    let calls = fake.callCount;
    const first: number[] = [];
    for (const photo of photos) first.push((await upload(local, photo, "image/png", "fp-unusable")).status);
    const again: number[] = [];
    for (const photo of photos.slice(0, 5)) again.push((await upload(local, photo, "image/png", "fp-unusable-2")).status);
    calls = fake.callCount - calls;
    console.log(
      `Metering: 12 distinct photos whose replies are unusable, from one fingerprint: ${count(first, 500)} x 500, ${count(first, 429)} x 429; ${calls} provider calls for ${units} analyses charged (bound: calls <= charged)`,
    );
    console.log(
      `  the same 5 photos again (another fingerprint): ${again.join(",")} (remembered for ${settings.PHOTO_ANALYSIS_FAILURE_MEMORY_SECONDS} s: no provider call)`,
    );
    fake.behaviors = [{ kind: "suggestions" }];

    // Re-encodings of one photo: near-duplicate hits spend the upload budget (decode + moderation).
    const sharp = (await import("sharp")).default;
    const original = await readFile("fixtures/photos/chelsea-cat.jpg");
    const copies = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        sharp(original)
          .jpeg({ quality: 95 - index * 2 })
          .toBuffer(),
      ),
    );
    const moderations = () => fake.moderationRequests.filter((request) => JSON.stringify(request.input).includes('"image_url"')).length;
    const [moderatedBefore, callsBefore] = [moderations(), fake.callCount];
    const near: number[] = [];
    for (const copy of copies) near.push((await upload(local, copy, "image/jpeg", "fp-reencoder")).status);
    console.log(
      `  30 re-encodings of one photo, one fingerprint: ${count(near, 201)} x 201, ${count(near, 200)} x 200, ${count(near, 429)} x 429; ` +
        `${moderations() - moderatedBefore} image moderation calls (each a decode), ${fake.callCount - callsBefore} provider calls (bound: ${budget} decodes per fingerprint per hour)`,
    );

    // Upload-URL tickets with a new fingerprint each time, from one address.
    const tickets: number[] = [];
    for (let index = 0; index < 60; index++) {
      const response = await fetch(`${local.url}/api/photo-analysis/upload-url/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ fingerprint: `fp-ticket-${index}` }),
      });
      await response.arrayBuffer();
      tickets.push(response.status);
    }
    const ipUnits = units * settings.PHOTO_ANALYSIS_RATE_LIMIT_IP_MULTIPLIER;
    console.log(
      `  60 upload URLs, a new fingerprint each, one address: ${count(tickets, 201)} granted, ${count(tickets, 429)} x 429 (bound: ${ipUnits * 2} per address per hour)`,
    );
  } finally {
    console.error = quietErrors;
  }
  // Admission on a service of its own: the address's units above are spent.
  const fresh = await startScratchService({ env: { OPENAI_API_KEY: "sk-bench", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0" } });
  try {
    await admission(fresh, fake, local);
  } finally {
    await fresh.close();
  }
}

/** Batches with nothing left are refused before anything is queued; a flood within the caps does not hold back another caller. */
async function admission(local: LocalService, fake: FakeOpenAI, spentService: LocalService): Promise<void> {
  const batch = (photos: Buffer[], fingerprint: string) => {
    const body = new FormData();
    for (const photo of photos) body.append("image", new Blob([photo], { type: "image/png" }), "photo.png");
    body.append("fingerprint", fingerprint);
    return fetch(`${local.url}/api/photo-analysis/batch/`, { method: "POST", body });
  };
  const batchOn = (service: LocalService, photos: Buffer[], fingerprint: string) => {
    const body = new FormData();
    for (const photo of photos) body.append("image", new Blob([photo], { type: "image/png" }), "photo.png");
    body.append("fingerprint", fingerprint);
    return fetch(`${service.url}/api/photo-analysis/batch/`, { method: "POST", body });
  };
  // fp-unusable spent its allowance on the first service: 30 batches of 10, nothing queued.
  const photos = await distinctImages(41, 4141);
  const depth = spentService.queue.depth;
  const spent: number[] = [];
  for (let index = 0; index < 30; index++) spent.push((await batchOn(spentService, photos.slice(0, 10), "fp-unusable")).status);
  console.log(`Admission: 30 batches of 10 from a caller with 0 remaining: ${count(spent, 429)} x 429, ${spentService.queue.depth - depth} jobs queued`);

  // A flood as large as the caps allow (each fingerprint's units, fingerprints rotating within one address), the provider taking 1 s a call.
  fake.behaviors = [{ kind: "suggestions", delayMs: 1_000 }];
  const flood: number[] = [];
  for (let index = 0; index < 8; index++) flood.push((await batch(photos.slice(index * 5, index * 5 + 5), `fp-flood-${index % 4}`)).status);
  const queued = local.queue.depth;
  const started = performance.now();
  const body = new FormData();
  body.append("image", new Blob([photos[40]!], { type: "image/png" }), "photo.png");
  body.append("fingerprint", "fp-quiet");
  const quiet = (await (await fetch(`${local.url}/api/photo-analysis/upload/`, { method: "POST", body, headers: { prefer: "respond-async" } })).json()) as {
    status_url: string;
  };
  for (;;) {
    const { status } = (await (await fetch(quiet.status_url)).json()) as { status: string };
    if (status === "done" || status === "failed") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const waited = performance.now() - started;
  console.log(`  flood: 8 batches of 5 from 4 fingerprints on one address: ${count(flood, 202)} x 202, ${count(flood, 429)} x 429, ${queued} jobs waiting`);
  console.log(
    `  another caller's first async job meanwhile: done in ${(waited / 1000).toFixed(1)} s (target: a few seconds; first come, first served it would wait for the flood's ${queued} jobs, about ${Math.ceil(queued / 4)} s)`,
  );
  await local.queue.idle();
  fake.behaviors = [{ kind: "suggestions" }];
}

const count = (statuses: number[], status: number) => statuses.filter((value) => value === status).length;

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

function upload(local: LocalService, bytes: Buffer, type: string, fingerprint: string) {
  const body = new FormData();
  body.append("image", new Blob([bytes], { type }), "photo");
  body.append("fingerprint", fingerprint);
  return fetch(`${local.url}/api/photo-analysis/upload/`, { method: "POST", body });
}

async function untilIdle(decoder: HeicWorkers): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (decoder.running > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

async function heicBurst(local: LocalService, burst: number): Promise<void> {
  const wide = await readFile("fixtures/photos/wide-35mp.heic");
  const decoder = local.deps.heicDecoder;
  if (!(decoder instanceof HeicWorkers)) throw new Error("the local service should decode HEIC in worker threads");
  await upload(local, await readFile("fixtures/photos/cat-portrait.heic"), "image/heic", "fp-warm");
  await untilIdle(decoder);
  const rss = () => process.memoryUsage().rss;
  const before = rss();
  const atRest = await healthLatencies(local, () => new Promise((resolve) => setTimeout(resolve, 3_000)));
  let peak = before;
  const sampling = setInterval(() => (peak = Math.max(peak, rss())), 50);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const started = performance.now();
  const statuses: number[] = [];
  const during = await healthLatencies(local, () =>
    Promise.all(
      Array.from({ length: burst }, async (_, index) => {
        const response = await upload(local, wide, "image/heic", `fp-burst-${index}`);
        await response.arrayBuffer();
        statuses.push(response.status);
      }),
    ),
  );
  const wall = performance.now() - started;
  loop.disable();
  clearInterval(sampling);
  await untilIdle(decoder);
  const settled = Date.now() + 10_000;
  while (rss() > before + 100 * 1024 * 1024 && Date.now() < settled) await new Promise((resolve) => setTimeout(resolve, 200));
  const after = rss();
  console.log(`HEIC burst: ${burst} uploads of a 35 MP HEIC (8192x4320, 22 KB) at once, answered ${statuses.join(",")} in ${(wall / 1000).toFixed(1)} s`);
  console.log(`  health at rest: p50 ${ms(median(atRest))}, p99 ${ms(percentile(atRest, 99))} (n=${atRest.length})`);
  console.log(
    `  health during the burst: p50 ${ms(median(during))}, p99 ${ms(percentile(during, 99))}, max ${ms(Math.max(...during))} (n=${during.length}; target p99 < 100 ms)`,
  );
  console.log(`  longest event-loop stall during the burst: ${ms(loop.max / 1e6)}`);
  console.log(
    `  RSS before ${mb(before)}, peak ${mb(peak)}, after (decoders idle) ${mb(after)}: ${after - before >= 0 ? "+" : ""}${mb(after - before)} (target within 100 MB)`,
  );
}

/** Sends a body and resolves with the status and the time until the answer came. */
function timedPost(local: LocalService, path: string, contentType: string, body: Buffer): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const outgoing = httpRequest(
      new URL(path, local.url),
      { method: "POST", headers: { "content-type": contentType, "content-length": body.length } },
      (response) => {
        const answered = performance.now() - started;
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode ?? 0, ms: answered }));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

function formFields(count: number, size: number): Buffer {
  const parts = Array.from({ length: count }, (_, index) => `--XXb\r\nContent-Disposition: form-data; name="f${index}"\r\n\r\n${"a".repeat(size)}\r\n`);
  return Buffer.from(`${parts.join("")}--XXb--\r\n`);
}

async function oversizedBodies(local: LocalService): Promise<void> {
  const depth = 2 * 1024 * 1024;
  const cases: [string, string, string, Buffer][] = [
    [
      "4 MB of nested JSON (upload-url)",
      "/api/photo-analysis/upload-url/",
      "application/json",
      Buffer.from(`{"junk": ${"[".repeat(depth)}${"]".repeat(depth)}}`),
    ],
    [
      "60 KB of nested JSON, within the size limit",
      "/api/photo-analysis/upload-url/",
      "application/json",
      Buffer.from(`{"junk": ${"[".repeat(30_000)}${"]".repeat(30_000)}}`),
    ],
    ["6 MB of multipart fields (100 x 60 KB)", "/api/photo-analysis/upload/", "multipart/form-data; boundary=XXb", formFields(100, 60_000)],
    ["9.8 MB of multipart fields (100,000 x 40 B)", "/api/photo-analysis/upload/", "multipart/form-data; boundary=XXb", formFields(100_000, 40)],
    ["one 6 MB multipart field", "/api/photo-analysis/upload/", "multipart/form-data; boundary=XXb", formFields(1, 6_000_000)],
    ["a 12 MB multipart body (API Gateway's 10 MB)", "/api/photo-analysis/upload/", "multipart/form-data; boundary=XXb", formFields(1, 12 * 1024 * 1024)],
  ];
  console.log("Time to refuse bodies built to make the parsers work (request sent to answer received, 5 runs):");
  for (const [what, path, contentType, body] of cases) {
    const runs: { status: number; ms: number }[] = [];
    for (let index = 0; index < 5; index++) runs.push(await timedPost(local, path, contentType, body));
    console.log(
      `  ${what.padEnd(48)} ${runs[0]!.status}   median ${ms(median(runs.map((run) => run.ms)))}   max ${ms(Math.max(...runs.map((run) => run.ms)))}`,
    );
  }
}

async function socketCrowds(local: LocalService): Promise<void> {
  const events = `${local.url.replace("http", "ws")}/api/photo-analysis/events/`;
  const created = await upload(local, (await distinctImages(1, 77))[0]!, "image/png", "fp-bystander");
  const { analysis } = (await created.json()) as { analysis: { id: string } };

  let started = performance.now();
  const crowd = await Promise.all(Array.from({ length: 500 }, (_, index) => tryConnect(`${events}?fingerprint=fp-crowd-${index}`)));
  const crowdMs = performance.now() - started;
  const open = crowd.flatMap((attempt) => (attempt.socket ? [attempt.socket] : []));
  const refusals = crowd.flatMap((attempt) => (attempt.refused ? [attempt.refused.status] : []));
  console.log(
    `WebSocket: 500 connections at once from one address: ${open.length} open, ${refusals.length} refused (${[...new Set(refusals)].join(",")}) in ${(crowdMs / 1000).toFixed(1)} s`,
  );
  await closeAll(open);
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the server's $disconnects

  started = performance.now();
  const flood = await Promise.all(Array.from({ length: 200 }, (_, index) => tryConnect(`${events}?fingerprint=fp-flood-${index}`)));
  const sockets = flood.flatMap((attempt) => (attempt.socket ? [attempt.socket] : []));
  let answered = 0;
  const closes = sockets.map(
    (socket) =>
      new Promise<number>((resolve) => {
        socket.on("message", () => answered++);
        socket.once("close", (code) => resolve(code));
      }),
  );
  for (const socket of sockets) for (let index = 0; index < 20; index++) socket.send(JSON.stringify({ action: "subscribe", job_id: crypto.randomUUID() }));
  const reads: number[] = [];
  let reading = true;
  const readLoop = (async () => {
    while (reading) {
      const began = performance.now();
      const response = await fetch(`${local.url}/api/photo-analysis/${analysis.id}/`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET /{id}/ answered ${response.status} during the flood`);
      reads.push(performance.now() - began);
    }
  })();
  const codes = await Promise.all(closes);
  reading = false;
  await readLoop;
  console.log(
    `WebSocket: 200 sockets x 20 subscribes: ${sockets.length} open, ${answered} messages answered, closed with ${[...new Set(codes)].join(",")} after ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `GET /{id}/ meanwhile p50 ${ms(median(reads))}, max ${ms(Math.max(...reads))} (n=${reads.length}, all 200)`,
  );
  await closeAll(sockets);
}
