/**
 * How the try page's script is built (esbuild: web/try.ts with the client bundled in, one minified
 * ES module): the one description bin/build-web.ts gives esbuild's API (npm install, npm start,
 * the tests) and the CDK stack gives its command line (the page's Lambda bundle).
 */
export const TRY_PAGE_ENTRY = "functions/try-page/web/try.ts";
export const TRY_PAGE_SCRIPT = "try.js";
export const TRY_PAGE_BUILD = { bundle: true, minify: true, format: "esm", platform: "browser", target: "es2022", legalComments: "none" } as const;

/** The same build as esbuild command-line flags. */
export function tryPageBuildFlags(): string[] {
  return [
    "--bundle",
    "--minify",
    `--format=${TRY_PAGE_BUILD.format}`,
    `--platform=${TRY_PAGE_BUILD.platform}`,
    `--target=${TRY_PAGE_BUILD.target}`,
    `--legal-comments=${TRY_PAGE_BUILD.legalComments}`,
  ];
}
