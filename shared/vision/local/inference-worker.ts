import { parentPort } from "node:worker_threads";
import { loadNsfwModel, nsfwProbabilities } from "../../moderation/nsfw-model.js";
import { localModels } from "./models.js";
import { runInference } from "./inference.js";
import type { WorkerRequest } from "./pool.js";

/** One worker of the local inference pool: loads each model once, when first needed, then runs tasks one at a time. */
async function answer(request: WorkerRequest): Promise<unknown> {
  switch (request.kind) {
    case "warm":
      await localModels(request.modelDir);
      return null;
    case "warm-moderation":
      await loadNsfwModel();
      return null;
    case "run":
      return runInference(request.task);
    case "moderate":
      return nsfwProbabilities(request.pixels);
  }
}

parentPort!.on("message", async (message: WorkerRequest & { id: number }) => {
  try {
    parentPort!.postMessage({ id: message.id, result: await answer(message) });
  } catch (error) {
    const failure = error as Error;
    parentPort!.postMessage({ id: message.id, error: { name: failure.name, message: failure.message } });
  }
});
