import { cleanupExpired } from "../../shared/usecases/cleanup.js";
import { defaultDeps, type DepsProvider } from "../deps.js";

interface CleanupEvent {
  dryRun?: boolean;
  batchSize?: number;
}

/** Invoked hourly by EventBridge (and by hand with `{"dryRun": true}`); logs a summary. */
export function createCleanupHandler(getDeps: DepsProvider = defaultDeps) {
  return async (event: CleanupEvent = {}) => {
    const summary = await cleanupExpired(getDeps(), {
      dryRun: event.dryRun === true,
      batchSize: Number.isInteger(event.batchSize) && event.batchSize! > 0 ? event.batchSize! : 100,
    });
    console.log(JSON.stringify({ message: "cleanup finished", ...summary }));
    return summary;
  };
}

export const handler = createCleanupHandler();
