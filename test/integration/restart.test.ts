import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FakeOpenAI } from "../helpers/fake-providers.js";
import { distinctImages } from "../helpers/photos.js";
import { openWatcher } from "../helpers/socket.js";

/**
 * `npm start` killed outright (SIGKILL: no shutdown code runs) while a job is being analysed, then
 * started again on the same data folder: the job is delivered again from the queue's file and
 * finishes once, with one record and one unit charged, as SQS would have it with a dead worker.
 */

const VISIBILITY_SECONDS = 3;
let fake: FakeOpenAI;
let dataDir: string;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  fake = await new FakeOpenAI().start();
  dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-restart-"));
});
afterAll(async () => {
  for (const child of running) child.kill("SIGKILL");
  await fake.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** bin/server.ts in its own node process (no tsx wrapper process, so a kill reaches the server itself). */
async function startServer(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/server.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      PHOTO_ANALYSIS_DATA_DIR: dataDir,
      OPENAI_API_KEY: "sk-restart",
      OPENAI_BASE_URL: fake.baseUrl,
      PHOTO_ANALYSIS_VISION_MAX_RETRIES: "0",
      PHOTO_ANALYSIS_VISION_TIMEOUT_SECONDS: "120",
      PHOTO_ANALYSIS_QUEUE_VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${output}`)), 30_000);
    const look = () => {
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    };
    child.stdout!.on("data", look);
    child.once("exit", (code) => reject(new Error(`the server exited (${code}): ${output}`)));
  });
  return { child, url, output: () => output };
}

describe("npm start killed mid-job", () => {
  it("delivers the job again after a restart on the same data: done once, one record, one unit charged", async () => {
    // The first analysis never answers (the process is killed while it waits); the next one does.
    fake.behaviors = [{ kind: "hang" }, { kind: "suggestions" }];
    const [photo] = await distinctImages(1, 9090);
    const first = await startServer();
    const body = new FormData();
    body.append("image", new Blob([photo!], { type: "image/png" }), "photo.png");
    body.append("fingerprint", "fp-restart");
    const response = await fetch(`${first.url}/api/photo-analysis/upload/`, { method: "POST", body, headers: { prefer: "respond-async" } });
    expect(response.status).toBe(202);
    const job = (await response.json()) as { job_id: string; status_url: string; events_url: string };
    const watcher = await openWatcher(job.events_url);
    watcher.send({ action: "subscribe", job_id: job.job_id });
    await watcher.next((message) => message.stage === "analysing");
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1)); // the provider has the photo: killed mid-call
    const exited = new Promise((resolve) => first.child.once("exit", resolve));
    first.child.kill("SIGKILL");
    await exited;
    watcher.close();

    const second = await startServer();
    const rebased = (url: string) => url.replace(first.url, second.url).replace(first.url.replace("http", "ws"), second.url.replace("http", "ws"));
    const resumed = await openWatcher(rebased(job.events_url));
    resumed.send({ action: "subscribe", job_id: job.job_id });
    // Hidden until the killed delivery's visibility timeout ends (the photo's claim lease ends with it), then analysed.
    const done = await resumed.next((message) => message.stage === "done" || message.stage === "failed", 30_000);
    resumed.close();
    expect(done).toMatchObject({ stage: "done", cached: false, analysis: { suggestions: expect.any(Array) } });
    expect(fake.requests).toHaveLength(2);

    const status = (await (await fetch(rebased(job.status_url))).json()) as { status: string; analysis: { id: string } };
    expect(status).toMatchObject({ status: "done", analysis: { id: done.analysis!.id } });
    const recent = (await (await fetch(`${second.url}/api/photo-analysis/recent/?fingerprint=fp-restart`)).json()) as { id: string }[];
    expect(recent.map((analysis) => analysis.id)).toEqual([done.analysis!.id]);
    // The same photo again, synchronously: a free cache hit that reports the standing: one unit of 5 used.
    const again = new FormData();
    again.append("image", new Blob([photo!], { type: "image/png" }), "photo.png");
    again.append("fingerprint", "fp-restart");
    const cached = await fetch(`${second.url}/api/photo-analysis/upload/`, { method: "POST", body: again });
    expect(cached.status).toBe(200);
    expect(cached.headers.get("ratelimit-remaining")).toBe("4");
    expect(second.output()).not.toMatch(/dead letters/);

    const stopped = new Promise((resolve) => second.child.once("exit", resolve));
    second.child.kill("SIGTERM");
    expect(await stopped).toBe(0);
  });
});
