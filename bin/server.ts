#!/usr/bin/env -S npx tsx
/**
 * `npm start`: the whole service on this machine, on embedded local defaults.
 * DynamoDB and S3 APIs run in-process on loopback, data lives under .data/ and survives restarts.
 */
import { nodeVersionNote } from "../shared/cli/node-version.js"; // first: settles the AWS SDK's Node version notice before any client exists
import { buildWeb } from "./build-web.js";
import { RATE_LIMIT_SWITCH, startLocalService } from "../local/service.js";

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";

// The try page's script and the client module, from the current sources (a fresh clone has them from npm install too).
await buildWeb().catch((error: Error) => console.error(`npm start: the try page's script could not be built (${error.message}); / will not work`));
const service = await startLocalService({ port, host }).catch((error: Error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});
const settings = await service.deps.settings();
const chosen = await service.deps.visionProvider(settings).catch((error: Error) => error);
const provider = chosen instanceof Error ? `none (${chosen.message})` : chosen.name;
if (!(chosen instanceof Error) && chosen.warmUp) {
  // Load in-process models now rather than on the first upload; a failure is reported, not fatal.
  chosen.warmUp().then(
    () => console.log("  local vision models loaded"),
    (error: Error) => console.error(`  local vision models failed to load: ${error.message}`),
  );
}
// The moderator too: the local model loads now (in the same worker threads); a cloud one has nothing to load.
const moderator = settings.PHOTO_ANALYSIS_MODERATION === "off" ? undefined : await service.deps.moderator?.(settings).catch((error: Error) => error);
if (moderator && !(moderator instanceof Error))
  moderator.warmUp?.().catch((error: Error) => console.error(`  local moderation model failed to load: ${error.message}`));
console.log(`Photo Analysis API listening on ${service.url}`);
const model = !(chosen instanceof Error) && "model" in chosen ? ` (${String(chosen.model)})` : "";
console.log(`  vision provider: ${provider}${model}`);
console.log(
  `  moderation: ${settings.PHOTO_ANALYSIS_MODERATION}${moderator instanceof Error ? ` (no moderator: ${moderator.message}; new photos fail with 500 until it is fixed)` : moderator ? ` by ${moderator.name}` : ""}`,
);
console.log(`  images: ${settings.PHOTO_ANALYSIS_USE_S3 ? "local S3 API" : "local disk"}; data in ${process.env.PHOTO_ANALYSIS_DATA_DIR ?? ".data"}/`);
console.log(
  settings.PHOTO_ANALYSIS_ENABLE_RATE_LIMITING
    ? `  rate limits: ${settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS} new analyses an hour per anonymous fingerprint (${settings.PHOTO_ANALYSIS_RATE_LIMIT_ANONYMOUS * settings.PHOTO_ANALYSIS_RATE_LIMIT_IP_MULTIPLIER} per address), ${settings.PHOTO_ANALYSIS_RATE_LIMIT_AUTHENTICATED} per signed-in user; cached answers are free. To switch them off: ${RATE_LIMIT_SWITCH} npm start`
    : `  rate limits: off (${RATE_LIMIT_SWITCH})`,
);
console.log(`  try it in a browser: ${service.url}/ (API docs: ${service.url}/docs/)`);
console.log(`  or: curl -F image=@fixtures/photos/coffee-mug.jpg ${service.url}/api/photo-analysis/upload/`);
console.log(
  `  async: POST ${service.url}/api/photo-analysis/batch/ (or Prefer: respond-async); progress on ${service.url.replace(/^http/, "ws")}/api/photo-analysis/events/`,
);
console.log(
  service.runtime.adminToken
    ? `  admin: ${service.url}/admin/ (sign in with PHOTO_ANALYSIS_ADMIN_TOKEN)`
    : "  admin: set PHOTO_ANALYSIS_ADMIN_TOKEN to use /admin/",
);

const nodeNote = nodeVersionNote();
if (nodeNote) console.log(`  node: ${nodeNote}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log("\nshutting down...");
    service.close().then(() => process.exit(0));
  });
}
