/**
 * `npm run upload-test -- --batch a.jpg b.jpg … [--watch]`: POSTs up to 10 photos to
 * /api/photo-analysis/batch/ and, with --watch, follows them live over the progress WebSocket
 * ("analysing 3 of 10…", then each photo's names or error as it finishes).
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import WebSocket from "ws";
import { palette } from "../shared/cli/output.js";
import { MIME_TYPES, sniffImageFormat } from "../shared/image/format.js";

interface Progress {
  type: "progress" | "error";
  job_id?: string;
  index?: number;
  stage?: string;
  cached?: boolean;
  analysis?: { suggestions: { name: string }[] } | null;
  error?: string | { status: number; body: Record<string, unknown> };
}

const c = palette();

export async function uploadBatch(options: {
  api: string;
  paths: string[];
  fingerprint: string;
  auth: Record<string, string>;
  watch: boolean;
}): Promise<number> {
  const form = new FormData();
  for (const path of options.paths) {
    const bytes = await readFile(path);
    const format = sniffImageFormat(bytes);
    form.append("image", new Blob([bytes], { type: format ? MIME_TYPES[format] : "application/octet-stream" }), basename(path));
  }
  form.append("fingerprint", options.fingerprint);
  const endpoint = `${options.api}/api/photo-analysis/batch/`;
  console.log(`POSTing ${options.paths.length} photo(s) to ${endpoint}...`);
  let response: Response;
  try {
    response = await fetch(endpoint, { method: "POST", body: form, headers: options.auth });
  } catch (error) {
    console.error(c.red(`Could not reach ${endpoint}: ${(error as Error).cause ?? (error as Error).message}`));
    console.error("Is the API running? Start it with `npm start`, or pass --url.");
    return 1;
  }
  const body = (await response.json().catch(() => null)) as {
    batch_id: string;
    status_url: string;
    events_url: string;
    items: { index: number; job_id: string }[];
  } | null;
  if (response.status !== 202 || !body) {
    console.error(c.red(`✗ Batch refused (HTTP ${response.status}): ${JSON.stringify(body)}`));
    return 1;
  }
  console.log(`Batch ${body.batch_id}: ${body.items.length} photo(s) queued`);
  console.log(`Status: ${body.status_url}\nEvents: ${body.events_url}`);
  if (!options.watch) return 0;
  return watchBatch(body, options.paths, options.auth);
}

function watchBatch(
  batch: { batch_id: string; events_url: string; items: { index: number }[] },
  paths: string[],
  auth: Record<string, string>,
): Promise<number> {
  const total = batch.items.length;
  const finished = new Map<number, boolean>(); // index → succeeded
  const stages = new Map<number, string>();
  const token = auth.authorization?.replace(/^Bearer\s+/i, "");
  const url = token ? `${batch.events_url}${batch.events_url.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token)}` : batch.events_url;
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      console.error(c.red(`✗ Gave up after 10 minutes with ${finished.size} of ${total} finished`));
      socket.close();
      resolve(1);
    }, 600_000);
    socket.on("open", () => socket.send(JSON.stringify({ action: "subscribe", batch_id: batch.batch_id })));
    socket.on("unexpected-response", (_request, response) => {
      console.error(c.red(`✗ The events WebSocket refused the connection (HTTP ${response.statusCode})`));
      clearTimeout(timer);
      resolve(1);
    });
    socket.on("error", (error) => {
      console.error(c.red(`✗ Events WebSocket: ${error.message}`));
      clearTimeout(timer);
      resolve(1);
    });
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as Progress;
      if (message.type === "error") {
        console.error(c.red(`✗ ${String(message.error)}`));
        return;
      }
      const index = message.index ?? 0;
      if (finished.has(index) || stages.get(index) === message.stage) return; // a repeat (a late snapshot)
      stages.set(index, message.stage!);
      const name = basename(paths[index] ?? `photo ${index + 1}`);
      const position = `[${index + 1}/${total}] ${name}`;
      if (message.stage === "done") {
        finished.set(index, true);
        const names =
          message.analysis?.suggestions
            .slice(0, 3)
            .map((s) => s.name)
            .join(", ") ?? "(analysis deleted)";
        console.log(`${c.green("✓")} ${position}${message.cached ? " (cached)" : ""}: ${c.cyan(names)}…`);
      } else if (message.stage === "failed") {
        finished.set(index, false);
        const failure = message.error as { status: number; body: Record<string, unknown> };
        console.log(`${c.red("✗")} ${position}: HTTP ${failure.status} ${JSON.stringify(failure.body)}`);
      } else if (message.stage !== "queued") {
        const running = [...stages.values()].filter((stage) => !["queued", "done", "failed"].includes(stage)).length;
        console.log(`  ${position}: ${message.stage}…  (${running} running, ${finished.size} of ${total} finished)`);
      }
      if (finished.size === total) {
        clearTimeout(timer);
        socket.close();
        const failures = [...finished.values()].filter((ok) => !ok).length;
        console.log(failures ? c.red(`✗ ${total - failures} of ${total} analysed, ${failures} failed`) : c.green(`✓ All ${total} analysed`));
        resolve(failures ? 1 : 0);
      }
    });
  });
}
