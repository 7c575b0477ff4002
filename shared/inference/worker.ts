import { loadNsfwModel, nsfwProbabilities } from "../moderation/nsfw-model.js";
import { runInference } from "../vision/local/inference.js";
import { localModels } from "../vision/local/models.js";
import { serveRequests } from "../workers/serve.js";
import type { WorkerRequest } from "./pool.js";

/** One worker of the local inference pool: loads each model once, when first needed, then runs tasks one at a time. */
serveRequests<WorkerRequest>(async (request) => {
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
});
