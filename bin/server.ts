#!/usr/bin/env -S npx tsx
/**
 * `npm start`: the whole service on this machine, on embedded local defaults.
 * DynamoDB and S3 APIs run in-process on loopback, data lives under .data/ and survives restarts.
 */
import { startLocalService } from "../functions/local/service.js";

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";

const service = await startLocalService({ port, host });
const settings = await service.deps.settings();
const provider = await service.deps.visionProvider(settings).then(
  (chosen) => chosen.name,
  (error: Error) => `none (${error.message})`,
);
console.log(`Photo Analysis API listening on ${service.url}`);
console.log(`  vision provider: ${provider}`);
console.log(`  images: ${settings.PHOTO_ANALYSIS_USE_S3 ? "local S3 API" : "local disk"}; data in ${process.env.PHOTO_ANALYSIS_DATA_DIR ?? ".data"}/`);
console.log(`  try: curl -F image=@fixtures/photos/coffee-mug.jpg ${service.url}/api/photo-analysis/upload/`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log("\nshutting down...");
    service.close().then(() => process.exit(0));
  });
}
