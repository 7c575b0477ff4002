#!/usr/bin/env -S npx tsx
/**
 * `npm run build-web`: builds what browsers and other projects load, with esbuild (no CDN, nothing
 * fetched at run time):
 *   - client/dist/index.js: the typed client as one ES module (`photo-analysis/client`);
 *   - functions/try-page/static/try.js: the try page's script, the client bundled in.
 * It runs on `npm install` (prepare), when `npm start` starts and before the tests, so what is
 * served is always built from the current sources; the CDK stack builds the same script into the
 * try page's Lambda bundle with esbuild's command line (functions/try-page/build-options.ts).
 * Both outputs are git-ignored.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TRY_PAGE_BUILD, TRY_PAGE_ENTRY, TRY_PAGE_SCRIPT } from "../functions/try-page/build-options.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CLIENT_BUNDLE = join(ROOT, "client/dist/index.js");
export const TRY_PAGE_DIR = join(ROOT, "functions/try-page/static");

/** Builds the client module and the try page's script (into `tryPageDir`, default the page's static folder). */
export async function buildWeb(options: { tryPageDir?: string } = {}): Promise<void> {
  // A dev dependency: imported when building, so npm start runs (without the try page) where it is missing.
  const { build } = await import("esbuild");
  const common = { bundle: true, logLevel: "warning", legalComments: "none", target: "es2022" } as const;
  await Promise.all([
    build({ ...common, entryPoints: [join(ROOT, "client/index.ts")], outfile: CLIENT_BUNDLE, format: "esm", platform: "neutral" }),
    build({
      ...TRY_PAGE_BUILD,
      logLevel: "warning",
      entryPoints: [join(ROOT, TRY_PAGE_ENTRY)],
      outfile: join(options.tryPageDir ?? TRY_PAGE_DIR, TRY_PAGE_SCRIPT),
    }),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb();
