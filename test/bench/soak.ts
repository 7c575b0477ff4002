import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalService } from "../../local/service.js";
import { FakeOpenAI } from "../helpers/fake-providers.js";

/**
 * `npm run bench -- soak [SOAK_REQUESTS=10000]`: cached uploads through `npm start`'s local service
 * (persistent data, as a developer runs it), printing RSS and the local DynamoDB server's table files
 * every 1,000 requests. Bounded: it stops after 5 minutes whatever the count.
 */
export async function benchSoak(): Promise<void> {
  const requests = Number(process.env.SOAK_REQUESTS ?? 10_000);
  console.log(`\n## soak: ${requests} cached uploads through the local HTTP server (RSS every 1,000)`);
  const fake = await new FakeOpenAI().start();
  const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-soak-"));
  const service = await startLocalService({
    dataDir,
    env: { OPENAI_API_KEY: "sk-soak", OPENAI_BASE_URL: fake.baseUrl, PHOTO_ANALYSIS_ENABLE_RATE_LIMITING: "false" },
  });
  const photo = await readFile("fixtures/photos/coffee-mug.jpg");
  const upload = async () => {
    const form = new FormData();
    form.append("image", new Blob([photo], { type: "image/jpeg" }), "mug.jpg");
    form.append("fingerprint", "soak");
    const response = await fetch(`${service.url}/api/photo-analysis/upload/`, { method: "POST", body: form });
    await response.arrayBuffer();
    return response.status;
  };
  const tableFiles = async () => (await readdir(join(dataDir, "dynamodb"))).filter((name) => name.endsWith(".ldb")).length;
  const deadline = Date.now() + 300_000;
  try {
    if ((await upload()) !== 201) throw new Error("the first upload did not create an analysis");
    const startRss = process.memoryUsage().rss;
    console.log(`${"requests".padStart(9)} ${"RSS MB".padStart(8)} ${"heap MB".padStart(8)} ${".ldb files".padStart(11)} ${"req/s".padStart(7)}`);
    let done = 0;
    let windowStarted = performance.now();
    while (done < requests && Date.now() < deadline) {
      const status = await upload();
      if (status !== 200) throw new Error(`cached upload answered ${status}`);
      done++;
      if (done % 1000 === 0) {
        const memory = process.memoryUsage();
        const rate = 1000 / ((performance.now() - windowStarted) / 1000);
        console.log(
          `${String(done).padStart(9)} ${(memory.rss / 1e6).toFixed(0).padStart(8)} ${(memory.heapUsed / 1e6).toFixed(0).padStart(8)} ${String(await tableFiles()).padStart(11)} ${rate.toFixed(0).padStart(7)}`,
        );
        windowStarted = performance.now();
      }
    }
    console.log(
      `RSS growth over ${done} cached uploads: ${((process.memoryUsage().rss - startRss) / 1e6).toFixed(0)} MB${done < requests ? " (stopped at the 5-minute bound)" : ""}`,
    );
  } finally {
    await service.close();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
