import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { Jimp } from "jimp";
import { startLocalService } from "../../local/service.js";
import { openImage, perceptualHash } from "../../shared/image/decode.js";
import { md5Hex } from "../../shared/image/hash.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { twelveMegapixelJpeg } from "./photos.js";
import { callgrindInstructions, type LoadTarget, valgrindAvailable } from "./module-profile.js";
import { median, report, timeRuns } from "./stats.js";

/**
 * Instructions of one decode + validate + MD5 + pHash (after one unmeasured run), counted by callgrind
 * over all threads (libvips decodes on its own): a figure a busy machine does not change. The
 * operation is bundled (sharp from node_modules) and run in a fresh process twice, with and without
 * the measured run.
 */
async function countCoreInstructions(photo: Buffer, operation: "all" | "md5"): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "photo-analysis-core-"));
  try {
    const entry = join(dir, "core.cjs");
    const photoFile = join(dir, "photo.jpg");
    await writeFile(photoFile, photo);
    await build({
      stdin: {
        contents: `import { readFileSync } from "node:fs";
import { openImage, perceptualHash } from "./shared/image/decode.js";
import { md5Hex } from "./shared/image/hash.js";
const photo = readFileSync(process.env.BENCH_PHOTO);
const once = async () => {
  if (process.env.BENCH_OPERATION === "md5") return md5Hex(photo);
  const image = await openImage(photo, { maxPixels: 100_000_000 });
  md5Hex(photo);
  await perceptualHash(image);
};
once().then(() => (process.env.BENCH_MEASURED === "1" ? once() : undefined));`,
        resolveDir: process.cwd(),
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node22",
      external: ["sharp"],
      banner: { js: "const __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
      define: { "import.meta.url": "__importMetaUrl" },
      outfile: entry,
      logLevel: "silent",
    });
    const target = (measured: boolean): LoadTarget => ({
      entry,
      nodePath: [join(process.cwd(), "node_modules")],
      env: { BENCH_PHOTO: photoFile, BENCH_OPERATION: operation, BENCH_MEASURED: measured ? "1" : "0" },
      cwd: dir,
    });
    const script = `require(${JSON.stringify(entry)})`;
    return (await callgrindInstructions(target(true), script)) - (await callgrindInstructions(target(false), script));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Issue 2: hashing cost of a 12 MP JPEG (sharp vs jimp) and a cached upload through the local HTTP
 * server. BENCH_INSTRUCTIONS=1 (valgrind installed) also counts the hashing's instructions.
 */
export async function benchCore() {
  console.log("\n## core: 12 MP JPEG hashing, cached uploads");
  const photo = await twelveMegapixelJpeg("fixtures/photos/coffee-mug.jpg");
  console.log(`12 MP JPEG: 4000x3000, ${(photo.length / 1e6).toFixed(2)} MB`);

  const sharpTimes = await timeRuns(15, async () => {
    const image = await openImage(photo, { maxPixels: 100_000_000 });
    md5Hex(photo);
    await perceptualHash(image);
  });
  report("decode+validate+MD5+pHash (sharp, shrink-on-load)", sharpTimes);
  if (process.env.BENCH_INSTRUCTIONS === "1" && (await valgrindAvailable())) {
    const [all, md5] = [await countCoreInstructions(photo, "all"), await countCoreInstructions(photo, "md5")];
    console.log(`decode+validate+MD5+pHash: ${(all / 1e6).toFixed(1)} M instructions (callgrind, all threads; MD5 ${(md5 / 1e6).toFixed(1)} M of them)`);
  }

  const jimpTimes = await timeRuns(
    3,
    async () => {
      const image = await Jimp.read(photo);
      image.pHash();
    },
    1,
  );
  report("decode+pHash (jimp, pure JS) for comparison", jimpTimes, `ratio jimp/sharp ${(median(jimpTimes) / median(sharpTimes)).toFixed(0)}x`);

  const fake = await new FakeOpenAI().start();
  const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-bench-"));
  const service = await startLocalService({ dataDir, persist: false, env: { OPENAI_API_KEY: "sk-bench", OPENAI_BASE_URL: fake.baseUrl } });
  try {
    const upload = async (bytes: Buffer) => {
      const form = new FormData();
      form.append("image", new Blob([bytes], { type: "image/jpeg" }), "photo.jpg");
      const response = await fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form });
      await response.arrayBuffer();
      return response.status;
    };
    const small = await readFile("fixtures/photos/coffee-mug.jpg");
    for (const [label, bytes] of [
      [`the 12 MP JPEG, ${(photo.length / 1e6).toFixed(1)} MB`, photo],
      [`a small photo, ${(small.length / 1e3).toFixed(0)} KB`, small],
    ] as const) {
      if ((await upload(bytes)) !== 201) throw new Error("first upload was not analysed");
      const cachedTimes = await timeRuns(40, async () => {
        if ((await upload(bytes)) !== 200) throw new Error("expected a cache hit");
      });
      report(`cached upload over HTTP (${label})`, cachedTimes);
    }
  } finally {
    await service.close();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
