import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalService, type LocalService, type LocalServiceOptions } from "../../functions/local/service.js";

/** `npm start`'s service on a fresh temporary folder, its table in memory; close() also removes the folder. */
export async function startScratchService(options: Omit<LocalServiceOptions, "dataDir" | "persist"> = {}): Promise<LocalService> {
  const dataDir = await mkdtemp(join(tmpdir(), "photo-analysis-scratch-"));
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
