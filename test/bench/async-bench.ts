import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { startLocalService, type LocalService } from "../../local/service.js";
import { openWatcher } from "../helpers/socket.js";
import { median, percentile, report } from "./stats.js";

const SOURCES = ["astronaut.jpg", "chelsea-cat.jpg", "coffee-mug.jpg", "imagenet-coffee-mug.jpg", "labrador.webp", "motorcycle.png"].map(
  (name) => `fixtures/photos/${name}`,
);
const ROUNDS = 5;

/** Ten photos never seen before: the fixtures at 1600 px, each round and slot with its own brightness (new bytes, so no cache hits). */
async function freshPhotos(round: number, mode: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: 10 }, (_, slot) =>
      sharp(SOURCES[slot % SOURCES.length]!)
        .resize(1600, 1200, { fit: "cover" })
        .modulate({ brightness: 0.7 + (round * 20 + mode * 10 + slot) * 0.006 })
        .jpeg({ quality: 88 })
        .toBuffer(),
    ),
  );
}

function form(photos: Buffer[], fingerprint: string) {
  const body = new FormData();
  for (const [index, photo] of photos.entries()) body.append("image", new Blob([photo], { type: "image/jpeg" }), `photo-${index}.jpg`);
  body.append("fingerprint", fingerprint);
  return body;
}

/**
 * `npm run bench -- async`: the embedded default (local provider, no key) on `npm start`'s service.
 * A 10-photo batch followed over the WebSocket against 10 sequential synchronous uploads of other
 * new photos, 5 rounds each (median, p95, ratio), and how soon a subscriber hears something.
 */
export async function benchAsync(): Promise<void> {
  console.log(`\n## async: a 10-photo batch over the WebSocket vs 10 sequential synchronous uploads (local provider, ${ROUNDS} rounds)`);
  const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-async-bench-"));
  let service: LocalService | undefined;
  try {
    // Similarity matching off: each round's photos are new bytes of the same scenes, and must all be analysed.
    service = await startLocalService({
      dataDir,
      persist: false,
      env: { PHOTO_ANALYSIS_VISION_PROVIDER: "local", PHOTO_ANALYSIS_ENABLE_RATE_LIMITING: "false", PHOTO_ANALYSIS_ENABLE_SIMILARITY_MATCHING: "false" },
    });
    const url = service.url;
    // Warm-up: load the models once, outside the timings.
    const [warm] = await freshPhotos(99, 9);
    const warmed = await fetch(`${url}/api/photo-analysis/upload/`, { method: "POST", body: form([warm!], "bench") });
    if (warmed.status !== 201) throw new Error(`warm-up upload answered ${warmed.status}`);

    const sequential: number[] = [];
    const batchWall: number[] = [];
    const accepted: number[] = [];
    const firstMessage: number[] = [];
    const firstWorkerStage: number[] = [];
    const firstDone: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const syncPhotos = await freshPhotos(round, 0);
      let started = performance.now();
      for (const photo of syncPhotos) {
        const response = await fetch(`${url}/api/photo-analysis/upload/`, { method: "POST", body: form([photo], "bench") });
        if (response.status !== 201) throw new Error(`sync upload answered ${response.status}: ${await response.text()}`);
      }
      sequential.push(performance.now() - started);

      const batchPhotos = await freshPhotos(round, 1);
      started = performance.now();
      const response = await fetch(`${url}/api/photo-analysis/batch/`, { method: "POST", body: form(batchPhotos, "bench") });
      const batch = (await response.json()) as { batch_id: string; events_url: string };
      accepted.push(performance.now() - started);
      const watcher = await openWatcher(batch.events_url);
      watcher.send({ action: "subscribe", batch_id: batch.batch_id });
      // A stuck batch says where it stands instead of waiting silently.
      const stall = setInterval(
        () =>
          console.log(
            `  round ${round}: still waiting; queue depth ${service!.queue.depth}; ${watcher.messages.map((m) => `${m.index}:${m.stage}`).join(" ")}`,
          ),
        30_000,
      ).unref();
      await watcher.next(() => true, 120_000);
      firstMessage.push(performance.now() - started);
      await watcher.next((message) => message.stage !== "queued", 120_000);
      firstWorkerStage.push(performance.now() - started);
      await watcher.next((message) => message.stage === "done", 120_000);
      firstDone.push(performance.now() - started);
      const finals = await watcher.until((message) => message.stage === "done" || message.stage === "failed", 10, 300_000);
      batchWall.push(performance.now() - started);
      clearInterval(stall);
      watcher.close();
      const failed = finals.filter((message) => message.stage !== "done" || message.cached);
      if (failed.length) throw new Error(`batch round ${round}: ${failed.length} photos failed or were cached`);
    }
    report("10 sequential synchronous uploads (wall)", sequential);
    report(
      "10-photo batch, POST to the last `done` (wall)",
      batchWall,
      `ratio sequential/batch ${(median(sequential) / median(batchWall)).toFixed(2)}x (p95 ${(percentile(sequential, 95) / percentile(batchWall, 95)).toFixed(2)}x)`,
    );
    report("batch: 202 answered", accepted);
    report("batch: first WebSocket message (current state)", firstMessage);
    report("batch: first worker stage (decoding)", firstWorkerStage);
    report("batch: first photo done", firstDone);
  } finally {
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
