import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import sharp from "sharp";
import { startLocalService } from "../../local/service.js";
import { loadNsfwModel, NSFW_INPUT_SIZE, nsfwProbabilities } from "../../shared/moderation/nsfw-model.js";
import { mergeConcepts } from "../../shared/vision/local/concepts.js";
import { palette } from "../../shared/vision/local/inference.js";
import { localModels, shippedClassifierDir, type RgbImage } from "../../shared/vision/local/models.js";
import { planNames } from "../../shared/vision/local/naming.js";
import { distinctImages } from "../helpers/photos.js";
import { median, percentile } from "./stats.js";

const EVAL_PHOTOS = "../shared/eval/imagenet-dev";

/** CPU time (ms) of the main thread (Linux: its /proc task entry) and of the whole process; undefined elsewhere. */
function cpuTimes(): { main: number; total: number } | undefined {
  const stat = `/proc/self/task/${process.pid}/stat`;
  if (!existsSync(stat)) return undefined;
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th (clock ticks, 100 per second).
  const text = readFileSync(stat, "utf8");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const usage = process.cpuUsage();
  return { main: ((Number(fields[11]) + Number(fields[12])) * 1000) / 100, total: (usage.user + usage.system) / 1000 };
}

/** How a stretch of work split its CPU between the main thread and the others (workers, libuv's pool for sharp, GC). */
async function cpuSplit<T>(work: () => Promise<T>): Promise<{ result: T; split: string }> {
  const before = cpuTimes();
  const started = performance.now();
  const result = await work();
  const after = cpuTimes();
  if (!before || !after) return { result, split: "CPU split n/a (no /proc)" };
  const seconds = (performance.now() - started) / 1000;
  const main = (after.main - before.main) / 1000;
  const others = (after.total - before.total) / 1000 - main;
  return {
    result,
    split: `CPU main thread ${main.toFixed(2)} s (${((100 * main) / seconds).toFixed(0)} % of a core), other threads ${others.toFixed(2)} s (${((100 * others) / seconds).toFixed(0)} %) over ${seconds.toFixed(2)} s`,
  };
}

/**
 * One fresh local analysis, stage by stage, on the calling thread (models loaded first): the
 * classifier on the crop and its mirror, the detector, the moderation model and the naming, on
 * BENCH_PHOTOS dev photos (../shared/eval/imagenet-dev; the fixture photos when absent).
 */
async function benchStages(): Promise<void> {
  const count = Number(process.env.BENCH_PHOTOS ?? 40);
  const dir = existsSync(EVAL_PHOTOS) ? EVAL_PHOTOS : "fixtures/photos";
  const files = (await readdir(dir)).filter((file) => /\.(jpe?g|png|webp)$/i.test(file)).slice(0, count);
  const started = performance.now();
  const models = await localModels(shippedClassifierDir());
  await loadNsfwModel();
  console.log(`models loaded in ${(performance.now() - started).toFixed(0)} ms (classifier, detector and moderation model, converted to ONNX)`);
  const rgb = async (bytes: Buffer, size?: number, mirror = false): Promise<RgbImage> => {
    const pipeline = sharp(bytes).flatten({ background: "#ffffff" }).removeAlpha();
    if (mirror) pipeline.flop();
    if (size) pipeline.resize(size, size, { fit: "cover" });
    else pipeline.resize(512, 512, { fit: "inside", withoutEnlargement: true });
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data), width: info.width, height: info.height };
  };
  const stages: Record<"classifier" | "detector" | "moderation" | "naming" | "total", number[]> = {
    classifier: [],
    detector: [],
    moderation: [],
    naming: [],
    total: [],
  };
  for (const file of files) {
    const bytes = await readFile(join(dir, file));
    const [full, crop, mirrored, square] = await Promise.all([
      rgb(bytes),
      rgb(bytes, 224),
      rgb(bytes, 224, true),
      sharp(bytes).resize(NSFW_INPUT_SIZE, NSFW_INPUT_SIZE, { fit: "fill" }).removeAlpha().raw().toBuffer(),
    ]);
    const time = async <T>(stage: keyof typeof stages, work: () => Promise<T> | T): Promise<T> => {
      const at = performance.now();
      const result = await work();
      stages[stage].push(performance.now() - at);
      return result;
    };
    const classes = await time("classifier", () => models.classifier.classify([crop, mirrored], 5));
    const detected = await time("detector", () => models.detector.detect(full));
    await time("moderation", () => nsfwProbabilities(new Uint8Array(square)));
    await time("naming", () => planNames({ ...mergeConcepts(classes, detected.objects, detected.faces), palette: palette(full) }, undefined, undefined));
    stages.total.push(stages.classifier.at(-1)! + stages.detector.at(-1)! + stages.moderation.at(-1)! + stages.naming.at(-1)!);
  }
  console.log(
    `fresh local analysis on the calling thread, median of ${files.length} photos from ${dir}: ` +
      Object.entries(stages)
        .map(([stage, times]) => `${stage} ${median(times).toFixed(1)} ms`)
        .join(", ") +
      ` (total p95 ${percentile(stages.total, 95).toFixed(1)} ms)`,
  );
}

/**
 * `npm run bench -- inference`: the local provider and the local moderation model in the main
 * thread (workers 0) against the worker pool (2 on this machine), and the pool with moderation off
 * (what judging each photo costs), in one run: cached-upload latency while idle and while a stream
 * of fresh local analyses runs, the event loop's longest stall, and fresh-analysis throughput at
 * concurrency 1 and 4.
 */
/** Fresh analyses timed at each concurrency. */
const THROUGHPUT_PHOTOS = 40;

export async function benchInference(): Promise<void> {
  console.log("\n## local inference: one analysis by stage, then main thread vs worker pool");
  await benchStages();
  const coffee = await readFile("fixtures/photos/coffee-mug.jpg");
  for (const [workers, moderation] of [
    [0, "block"],
    [2, "block"],
    [2, "off"],
  ] as const) {
    const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-inference-"));
    const service = await startLocalService({
      dataDir,
      persist: false,
      env: {
        PHOTO_ANALYSIS_VISION_PROVIDER: "local",
        PHOTO_ANALYSIS_LOCAL_WORKERS: String(workers),
        PHOTO_ANALYSIS_ENABLE_RATE_LIMITING: "false",
        PHOTO_ANALYSIS_MODERATION: moderation,
      },
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
      const photos = await distinctImages(500, 7 + workers);
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
      const latencies: number[] = [];
      const throughput = async (concurrency: number, count: number) => {
        const batch = photos.slice(next, next + count);
        next += count;
        const started = performance.now();
        let index = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (index < batch.length) latencies.push(await upload(batch[index++]!));
          }),
        );
        return count / ((performance.now() - started) / 1000);
      };
      // 40 photos each: a dozen (a second or two) left the ratio between runs anywhere from 1.4x to 1.7x.
      const one = await throughput(1, THROUGHPUT_PHOTOS);
      const latencyOne = median(latencies);
      const { result: four, split } = await cpuSplit(() => throughput(4, THROUGHPUT_PHOTOS));
      console.log(
        `workers ${workers}, moderation ${moderation}: cached upload idle p50 ${median(idle).toFixed(1)} / p99 ${percentile(idle, 99).toFixed(1)} ms; ` +
          `during analyses p50 ${median(busy).toFixed(1)} / p99 ${percentile(busy, 99).toFixed(1)} ms (${(percentile(busy, 99) / percentile(idle, 99)).toFixed(1)}x idle p99); ` +
          `longest event-loop stall ${(loop.max / 1e6).toFixed(0)} ms; fresh upload p50 at concurrency 1 ${latencyOne.toFixed(1)} ms; ` +
          `fresh analyses/s at concurrency 1: ${one.toFixed(2)}, at 4: ${four.toFixed(2)} (${(four / one).toFixed(2)}x); at 4: ${split}`,
      );
    } finally {
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
}
