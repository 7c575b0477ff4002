import { parentPort } from "node:worker_threads";
import { localModels } from "./models.js";
import { runInference, type InferenceTask } from "./inference.js";

/** One worker of the local inference pool: loads the models once, then runs tasks one at a time. */
type Message = { id: number; kind: "warm"; modelDir: string } | { id: number; kind: "run"; task: InferenceTask };

parentPort!.on("message", async (message: Message) => {
  try {
    if (message.kind === "warm") {
      await localModels(message.modelDir);
      parentPort!.postMessage({ id: message.id, result: null });
    } else {
      parentPort!.postMessage({ id: message.id, result: await runInference(message.task) });
    }
  } catch (error) {
    const failure = error as Error;
    parentPort!.postMessage({ id: message.id, error: { name: failure.name, message: failure.message } });
  }
});
