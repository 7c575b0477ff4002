#!/usr/bin/env -S npx tsx
/**
 * `npm run access-table [-- --write]`: what each function may do, read back from the synthesized
 * template (lib/access-table.ts), as the least-privilege table of docs/deploy.md. Prints it; `--write` puts it
 * into docs/deploy.md between its markers. Synthesizes without bundling (seconds, no esbuild).
 */
import { readFile, writeFile } from "node:fs/promises";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Architecture } from "aws-cdk-lib/aws-lambda";
import { accessTableMarkdown, functionGrants } from "../lib/access-table.js";
import { PhotoAnalysisStack } from "../lib/photo-analysis-stack.js";
import { fail, parseCommandLine } from "../shared/cli/args.js";

const USAGE = "usage: npm run access-table [-- --write]";
const { values } = parseCommandLine({ options: { write: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } } }, USAGE);
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
const stack = new PhotoAnalysisStack(app, "PhotoAnalysis-dev", { stage: "dev", architecture: Architecture.X86_64, tryPage: true });
const table = accessTableMarkdown(functionGrants(Template.fromStack(stack).toJSON()));
if (!values.write) {
  console.log(table);
  process.exit(0);
}
const DOC = "docs/deploy.md";
const doc = await readFile(DOC, "utf8");
const [start, end] = ["<!-- access-table:start -->", "<!-- access-table:end -->"].map((marker) => doc.indexOf(marker));
if (start! < 0 || end! < start!) fail(`${DOC} has no <!-- access-table:start --> … <!-- access-table:end --> markers`);
await writeFile(DOC, `${doc.slice(0, start! + "<!-- access-table:start -->".length)}\n${table}\n${doc.slice(end!)}`);
console.log(`${DOC}: access table written`);
