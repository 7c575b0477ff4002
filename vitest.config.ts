import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A folder for the run's `npx cdk synth` outputs, shared by the infra test files (test/helpers/synth.ts), and the web pages built once.
    globalSetup: ["test/helpers/global-setup.ts", "test/setup/build-web.ts"],
    // As the commands do (shared/cli/node-version.ts): no nine-line SDK notice about Node versions in every worker's output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores here: more workers than that only adds contention.
    maxWorkers: 2,
  },
});
