import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * One folder per test run for `npx cdk synth` outputs (test/helpers/synth.ts): each configuration is
 * synthesized once and shared by the test files that need it, and the folder goes when the run ends.
 * Nothing is synthesized here: a run of unit tests alone pays nothing.
 */
export default async function setup() {
  const dir = await mkdtemp(join(tmpdir(), "photo-analysis-synth-"));
  process.env.PHOTO_ANALYSIS_TEST_SYNTH_DIR = dir;
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
