import { describe, expect, it } from "vitest";
import { errorResponse } from "../../functions/http.js";
import { NotConfiguredError, VisionNotConfiguredError } from "../../shared/domain/errors.js";
import type { Caller } from "../../shared/domain/types.js";
import { imageStoreForWrites } from "../../shared/usecases/deps.js";
import { submitJobs } from "../../shared/usecases/jobs.js";
import { subscribe } from "../../shared/usecases/progress.js";
import { createUploadUrl } from "../../shared/usecases/upload-url.js";
import { memoryDeps } from "../doubles/memory.js";

const caller: Caller = { userId: null, username: null, fingerprint: "fp-config", ipAddress: "198.51.100.9" };

/** One "not configured" error: whatever this server lacks, a 503 with the same body, saying what to set. */
describe("not configured", () => {
  // Presigned uploads without S3 were a 400 until the one not-configured error: now the same 503 as a missing queue.
  it("is a 503 with the unavailable body for a missing queue, staging store, connection gateway or image store, as for a missing provider", async () => {
    const { deps } = memoryDeps();
    const failures = await Promise.all([
      submitJobs({ ...deps, queue: undefined }, { caller, photos: [{ bytes: Buffer.from("x") }], batch: false }).catch((error: unknown) => error),
      createUploadUrl({ ...deps, staging: undefined }, { caller }).catch((error: unknown) => error),
      subscribe({ ...deps, gateway: undefined }, "connection-1", { jobId: "job-1" }).catch((error: unknown) => error),
      deps.settings().then((settings) => {
        try {
          return imageStoreForWrites({ ...deps, imageStores: {} }, settings);
        } catch (error) {
          return error;
        }
      }),
      Promise.resolve(new VisionNotConfiguredError("OpenAI API not configured: set OPENAI_API_KEY")),
    ]);
    for (const [index, failure] of failures.entries()) {
      expect(failure, String(index)).toBeInstanceOf(NotConfiguredError);
      const answer = errorResponse(failure, "req-1");
      expect(answer.statusCode).toBe(503);
      expect(JSON.parse(String(answer.body))).toEqual({
        error: "Photo analysis unavailable",
        detail: (failure as NotConfiguredError).detail,
        request_id: "req-1",
      });
    }
    expect(failures.map((failure) => (failure as NotConfiguredError).detail)).toEqual([
      expect.stringContaining("PHOTO_ANALYSIS_QUEUE_URL"),
      expect.stringContaining("PHOTO_ANALYSIS_BUCKET"),
      expect.stringContaining("PHOTO_ANALYSIS_EVENTS_CALLBACK_URL"),
      expect.stringContaining("No image store"),
      expect.stringContaining("OPENAI_API_KEY"),
    ]);
  });
});
