#!/usr/bin/env -S npx tsx
/**
 * `npm run upload-test -- --list`
 * `npm run upload-test -- <fixture or path> [--fingerprint fp] [--token JWT] [--url http://127.0.0.1:3000]`
 * A smoke test of the upload API: POSTs a photo to a running API (local by default, or a deployed
 * URL) and prints the full report: status, response, hashes, model, tokens, suggestions, rate limit.
 * Photos over the direct-upload limit (4 MB) go through the presigned flow, as a phone app would.
 * `npm run upload-test -- --batch a.jpg b.jpg … [--watch]` queues up to 10 as one batch and, with
 * --watch, shows each photo's progress live over the events WebSocket.
 */
import "../shared/cli/node-version.js"; // first: settles the AWS SDK's Node version notice before any client exists
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { parseCommandLine } from "../shared/cli/args.js";
import { formatBytes, palette } from "../shared/cli/output.js";
import { MIME_TYPES, sniffImageFormat } from "../shared/image/format.js";
import { uploadBatch } from "./upload-batch.js";

const FIXTURES = "fixtures/photos";
/** Above this a photo goes through /upload-url/ (the default PHOTO_ANALYSIS_DIRECT_UPLOAD_MAX_MB). */
const DIRECT_LIMIT_BYTES = 4 * 1024 * 1024;
const USAGE =
  "usage: npm run upload-test -- --list\n       npm run upload-test -- <fixture or path> [--fingerprint fp] [--token JWT] [--url http://127.0.0.1:3000] [--presigned]\n       npm run upload-test -- --batch <photo> <photo>… [--watch] [--fingerprint fp] [--token JWT] [--url …]";
const { values, positionals } = parseCommandLine(
  {
    allowPositionals: true,
    options: {
      list: { type: "boolean", default: false },
      fingerprint: { type: "string", default: "cli-test-fp" },
      token: { type: "string" },
      presigned: { type: "boolean", default: false },
      batch: { type: "boolean", default: false },
      watch: { type: "boolean", default: false },
      url: { type: "string", default: `http://127.0.0.1:${process.env.PORT ?? 3000}` },
      help: { type: "boolean", short: "h" },
    },
  },
  USAGE,
);
const c = palette();
const rule = "=".repeat(80);
const heading = (title: string) => console.log(`\n${c.bold(rule)}\n${c.bold(title)}\n${c.bold(rule)}\n`);

const photoCount = positionals.length;
if (values.help || (!values.list && (values.batch ? photoCount < 1 || photoCount > 10 : photoCount !== 1))) {
  if (values.batch && photoCount > 10) console.error(c.red(`A batch holds at most 10 photos (got ${photoCount}).`));
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

if (values.list) {
  console.log(c.bold(`Test images in ${FIXTURES}/:`));
  for (const name of (await readdir(FIXTURES)).sort()) {
    if (!sniffImageFormat(await readFile(join(FIXTURES, name)))) continue;
    console.log(`  ${name.padEnd(28)} ${formatBytes((await stat(join(FIXTURES, name))).size)}`);
  }
  process.exit(0);
}

/** A path, or the name of a photo in fixtures/photos. */
function photoPath(argument: string): string {
  const path = existsSync(argument) ? argument : join(FIXTURES, argument);
  if (!existsSync(path)) {
    console.error(c.red(`No such image: ${argument} (see --list)`));
    process.exit(2);
  }
  return path;
}

if (values.batch) {
  const auth: Record<string, string> = values.token ? { authorization: `Bearer ${values.token}` } : {};
  heading("PHOTO ANALYSIS BATCH TEST");
  const code = await uploadBatch({
    api: values.url!.replace(/\/+$/, ""),
    paths: positionals.map(photoPath),
    fingerprint: values.fingerprint!,
    auth,
    watch: values.watch!,
  });
  process.exit(code);
}

const path = photoPath(positionals[0]!);
const bytes = await readFile(path);
const format = sniffImageFormat(bytes);
const contentType = format ? MIME_TYPES[format] : "application/octet-stream";
const api = values.url!.replace(/\/+$/, "");
const endpoint = `${api}/api/photo-analysis/upload/`;
const auth: Record<string, string> = values.token ? { authorization: `Bearer ${values.token}` } : {};
const presigned = values.presigned || bytes.length > DIRECT_LIMIT_BYTES;

heading("PHOTO ANALYSIS END-TO-END TEST");
console.log(`Image: ${basename(path)}`);
console.log(`Size: ${formatBytes(bytes.length)}`);
console.log(`Content-Type: ${contentType}`);
console.log(`Fingerprint: ${values.fingerprint}${values.token ? " (signed in with --token)" : ""}`);

/** The presigned flow: a ticket, the file straight to storage, then the analysis of the staged file. */
async function uploadPresigned(): Promise<Response> {
  const why = bytes.length > DIRECT_LIMIT_BYTES ? `${formatBytes(bytes.length)} is over the direct limit (${formatBytes(DIRECT_LIMIT_BYTES)})` : "--presigned";
  console.log(`\n${why}: asking ${api}/api/photo-analysis/upload-url/ for an upload URL...`);
  const ticketResponse = await fetch(`${api}/api/photo-analysis/upload-url/`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify({ fingerprint: values.fingerprint, content_type: contentType }),
  });
  if (!ticketResponse.ok) return ticketResponse;
  const ticket = (await ticketResponse.json()) as { url: string; fields: Record<string, string>; upload_id: string };
  const staged = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) staged.append(name, value);
  staged.append("file", new Blob([bytes], { type: contentType }), basename(path));
  console.log(`Uploading to storage (upload_id ${ticket.upload_id})...`);
  const stored = await fetch(ticket.url, { method: "POST", body: staged });
  if (!stored.ok) throw new Error(`storage refused the upload: HTTP ${stored.status} ${await stored.text()}`);
  console.log(`POSTing {"upload_id"} to ${endpoint}...`);
  return fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify({ upload_id: ticket.upload_id, fingerprint: values.fingerprint }),
  });
}

let response: Response;
try {
  if (presigned) {
    response = await uploadPresigned();
  } else {
    console.log(`\nPOSTing to ${endpoint}...`);
    const form = new FormData();
    form.append("image", new Blob([bytes], { type: contentType }), basename(path));
    form.append("fingerprint", values.fingerprint!);
    response = await fetch(endpoint, { method: "POST", body: form, headers: auth });
  }
} catch (error) {
  console.error(c.red(`\nCould not reach ${endpoint}: ${(error as Error).cause ?? (error as Error).message}`));
  console.error("Is the API running? Start it with `npm start`, or pass --url.");
  process.exit(1);
}
const text = await response.text();
// biome-ignore lint/suspicious/noExplicitAny: the server's JSON, printed field by field as a report
let body: any;
try {
  body = JSON.parse(text);
} catch {
  body = text;
}

heading("RESPONSE");
const statusColor = response.ok ? c.green : c.red;
console.log(`Status Code: ${statusColor(String(response.status))}\n`);
console.log(typeof body === "string" ? body : JSON.stringify(body, null, 2));

if (response.ok && body?.analysis) {
  const a = body.analysis;
  heading("KEY INFORMATION");
  console.log(`Cached: ${body.cached ? "True" : "False"}${body.match ? ` (${body.match} match, distance ${body.match_distance})` : ""}`);
  console.log(`Analysis ID: ${a.id}`);
  console.log(`Model: ${a.ai_vision_model}`);
  console.log(`Image pHash: ${a.image_phash}`);
  console.log(`File MD5: ${a.file_hash}`);
  console.log(`File Size: ${a.file_size} bytes`);
  console.log(`Storage: ${a.storage_type}`);
  console.log(`Times Used: ${a.times_used}`);
  if (a.labels?.length)
    console.log(`Labels: ${a.labels.map((l: { label: string; score: number }) => `${l.label} (${(l.score * 100).toFixed(0)}%)`).join(", ")}`);
  console.log(
    `\nToken Usage:\n  Prompt: ${a.token_usage.prompt_tokens}\n  Completion: ${a.token_usage.completion_tokens}\n  Total: ${a.token_usage.total_tokens}`,
  );
  console.log(`\nSuggestions Count: ${a.suggestions.length}\n\nChat Name Suggestions:`);
  for (const [i, s] of (a.suggestions as { name: string; key: string; description: string }[]).entries()) {
    console.log(`  ${i + 1}. ${c.cyan(s.name)} (key: ${s.key})\n     ${s.description}`);
  }
}
const limit = response.headers.get("ratelimit-limit");
const remaining = response.headers.get("ratelimit-remaining");
console.log("\nRate Limit:");
if (limit && remaining) console.log(`  Used: ${Number(limit) - Number(remaining)} / ${limit}\n  Remaining: ${remaining}`);
else console.log(`  ${response.status === 200 ? "not counted (cache hit)" : "no rate-limit headers"}`);
if (response.status === 429) console.log(`  Retry after: ${response.headers.get("retry-after")} s`);

console.log(`\n${c.bold(rule)}`);
console.log(response.ok ? c.green("✓ Upload successful!") : c.red(`✗ Upload failed (HTTP ${response.status})`));
console.log(c.bold(rule));
process.exit(response.ok ? 0 : 1);
