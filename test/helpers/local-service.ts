import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalService, type LocalService, type LocalServiceOptions } from "../../local/service.js";
import { tableAccessDenials } from "../../shared/runtime/table-access.js";

/**
 * `npm start`'s service on a fresh temporary folder, its table in memory; close() also removes the
 * folder, and fails if any function called the table outside its grant meanwhile (functions/routes.ts):
 * such a call fails in AWS, even where the code swallows the error.
 */
export async function startScratchService(options: Omit<LocalServiceOptions, "dataDir" | "persist"> = {}): Promise<LocalService> {
  const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-scratch-"));
  const deniedBefore = tableAccessDenials().length;
  let service: LocalService;
  try {
    service = await startLocalService({ ...options, dataDir, persist: false });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...service,
    close: async () => {
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
      const denied = tableAccessDenials().slice(deniedBefore);
      if (denied.length) throw new Error(`calls outside a function's table grant:\n${[...new Set(denied)].join("\n")}`);
    },
  };
}

/** The health endpoint's latencies (ms), probed every 20 ms while `work` runs. */
export async function healthLatencies(service: Pick<LocalService, "url">, work: () => Promise<unknown>): Promise<number[]> {
  let running = true;
  const latencies: number[] = [];
  const probing = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`${service.url}/api/photo-analysis/health/`)).arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await probing;
  }
  return latencies;
}
