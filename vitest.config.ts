import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A folder for the run's `npx cdk synth` outputs, shared by the infra test files (test/helpers/synth.ts).
    globalSetup: ["test/helpers/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores here: more workers than that only adds contention.
    maxWorkers: 2,
  },
});
