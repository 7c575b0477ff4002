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
