import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startLocalService } from "../../functions/local/service.js";
import { distinctImages } from "../helpers/photos.js";
import { median, percentile } from "./stats.js";

/**
 * `npm run bench -- inference`: the local provider and the local moderation model in the main
 * thread (workers 0) against the worker pool (2 on this machine), and the pool with moderation off
 * (what judging each photo costs), in one run: cached-upload latency while idle and while a stream
 * of fresh local analyses runs, the event loop's longest stall, and fresh-analysis throughput at
 * concurrency 1 and 4.
 */
export async function benchInference(): Promise<void> {
  console.log("\n## local inference: main thread vs worker pool");
  const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
  for (const [workers, moderation] of [[0, "block"], [2, "block"], [2, "off"]] as const) {
    const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-inference-"));
    const service = await startLocalService({
      dataDir,
      persist: false,
      env: { PHOTO_ANALYSIS_VISION_PROVIDER: "local", PHOTO_ANALYSIS_LOCAL_WORKERS: String(workers), PHOTO_ANALYSIS_ENABLE_RATE_LIMITING: "false", PHOTO_ANALYSIS_MODERATION: moderation },
    });
    const upload = async (bytes: Buffer) => {
      const form = new FormData();
      form.append("image", new Blob([bytes], { type: "image/png" }), "photo.png");
      const started = performance.now();
      const response = await fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form });
      await response.arrayBuffer();
      if (response.status >= 300) throw new Error(`upload answered ${response.status}`);
      return performance.now() - started;
    };
    try {
      const settings = await service.deps.settings();
      const chosen = await service.deps.visionProvider(settings);
      await chosen.warmUp?.();
      // The moderation model too (in every worker), as npm start does: no model load inside the timings.
      if (moderation !== "off") await (await service.deps.moderator?.(settings))?.warmUp?.();
      await upload(coffee);
      const cached = async (count: number) => {
        const times: number[] = [];
        for (let i = 0; i < count; i++) times.push(await upload(coffee));
        return times;
      };
      await cached(20);
      const idle = await cached(200);
      // A stream of fresh analyses (distinct photos) while cached uploads are measured.
      const photos = await distinctImages(400, 7 + workers);
      let next = 0;
      let streaming = true;
      const stream = (async () => {
        while (streaming && next < photos.length) await upload(photos[next++]!);
      })();
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const busy = await cached(200);
      loop.disable();
      streaming = false;
      await stream;
      const throughput = async (concurrency: number, count: number) => {
        const batch = photos.slice(next, next + count);
        next += count;
        const started = performance.now();
        let index = 0;
        await Promise.all(Array.from({ length: concurrency }, async () => {
          while (index < batch.length) await upload(batch[index++]!);
        }));
        return count / ((performance.now() - started) / 1000);
      };
      const one = await throughput(1, 12);
      const four = await throughput(4, 12);
      console.log(
        `workers ${workers}, moderation ${moderation}: cached upload idle p50 ${median(idle).toFixed(1)} / p99 ${percentile(idle, 99).toFixed(1)} ms; ` +
          `during analyses p50 ${median(busy).toFixed(1)} / p99 ${percentile(busy, 99).toFixed(1)} ms (${(percentile(busy, 99) / percentile(idle, 99)).toFixed(1)}x idle p99); ` +
          `longest event-loop stall ${(loop.max / 1e6).toFixed(0)} ms; fresh analyses/s at concurrency 1: ${one.toFixed(2)}, at 4: ${four.toFixed(2)} (${(four / one).toFixed(2)}x)`,
      );
    } finally {
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
}
