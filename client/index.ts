/**
 * The Photo Analysis client: typed calls to the API for browsers and Node (global fetch, FormData
 * and Blob; a WebSocket for live progress, with polling when there is none). Its types come from
 * openapi.json (client/api-types.ts, generated).
 *
 *   import { PhotoAnalysisClient } from "photo-analysis/client";
 *   const client = new PhotoAnalysisClient({ baseUrl: "http://127.0.0.1:3000", fingerprint: "my-browser" });
 *   const { analysis } = await client.analyze(photo, { context: "names for my hiking club" });
 */
import type { components, paths } from "./api-types.js";
import { ApiError, errorFor } from "./errors.js";

export { ApiError, DetailedError, type DetailError, type ErrorBody, errorFor, FieldError, type FieldErrors, RateLimitError, ServiceError } from "./errors.js";

type Schemas = components["schemas"];
/** The JSON body a path answers with for a method and status, as the document declares it. */
type JsonAnswer<P extends keyof paths, M extends "get" | "post" | "delete", S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { "application/json": infer Body } } };
}
  ? Body
  : never;

export type Analysis = Schemas["Analysis"];
export type Suggestion = Analysis["suggestions"][number];
export type UploadResponse = JsonAnswer<"/api/photo-analysis/upload/", "post", 200 | 201>;
export type RecentItem = JsonAnswer<"/api/photo-analysis/recent/", "get", 200>[number];
export type AcceptedBatch = JsonAnswer<"/api/photo-analysis/batch/", "post", 202>;
export type Batch = JsonAnswer<"/api/photo-analysis/batch/{batch_id}/", "get", 200>;
export type Job = Schemas["Job"];
export type ProgressMessage = Schemas["ProgressMessage"];
export type Stage = Job["stage"];
export type Style = NonNullable<Schemas["UploadForm"]["style"]>;
export type UploadTicket = JsonAnswer<"/api/photo-analysis/upload-url/", "post", 201>;

/** What a photo's analysis may be steered with (all optional). */
export interface AnalysisOptions {
  style?: Style;
  /** What the room is for, in the caller's words (at most 200 characters). */
  context?: string;
  /** BCP 47 tag of the names' language (default en). */
  language?: string;
  signal?: AbortSignal;
}

/** One photo's progress in a batch: from a WebSocket message, or from polling the batch. */
export interface ProgressUpdate {
  index: number;
  job_id: string;
  stage: Stage;
  cached?: boolean;
  analysis?: Analysis | null;
  error?: Job["error"];
}

export interface BatchOptions extends AnalysisOptions {
  /** Called for each stage a photo reaches (queued, decoding, matching, analysing, storing, done or failed). */
  onProgress?: (update: ProgressUpdate) => void;
  /** Called once the batch is accepted (its id and items), before any progress. */
  onAccepted?: (batch: AcceptedBatch) => void;
}

/**
 * The parts of a WebSocket this client uses (the browser's, Node 22's global one, or the `ws`
 * package's). The handlers are only assigned, never called here: their event types are each
 * implementation's own.
 */
export interface WebSocketLike {
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  send(data: string): void;
  close(): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ClientOptions {
  /** The API's origin, e.g. http://127.0.0.1:3000 (default: the page's own origin in a browser). */
  baseUrl?: string;
  /** Anonymous caller's fingerprint: sent with uploads and used to read them back. */
  fingerprint?: string;
  /** A signed-in user's JWT (Authorization: Bearer), or a function giving the current one. */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  fetch?: typeof fetch;
  /** Live progress for batches; default the global WebSocket when there is one, else polling only. */
  WebSocket?: WebSocketConstructor | null;
  /** How often to poll a batch when there is no WebSocket (default 1000 ms). */
  pollIntervalMs?: number;
}

/** Photos past this size go through the presigned flow (the API's direct-upload limit). */
export const DIRECT_UPLOAD_MAX_BYTES = 4 * 1024 * 1024;
const FINAL_STAGES: readonly Stage[] = ["done", "failed"];

export class PhotoAnalysisClient {
  readonly baseUrl: string;
  readonly fingerprint: string | undefined;
  private readonly fetcher: typeof fetch;
  private readonly token: ClientOptions["token"];
  private readonly socketClass: WebSocketConstructor | undefined;
  private readonly pollIntervalMs: number;

  constructor(options: ClientOptions = {}) {
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
    const baseUrl = options.baseUrl ?? origin;
    if (!baseUrl) throw new TypeError("PhotoAnalysisClient needs a baseUrl outside a browser page");
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.fingerprint = options.fingerprint;
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
    this.token = options.token;
    this.socketClass = options.WebSocket === null ? undefined : (options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  /**
   * Analyses one photo and answers with its 10 names: 201 for a new analysis, 200 (`cached`) for a
   * photo seen before. Files over 4 MB go through a presigned upload first, as the API asks.
   */
  async analyze(file: Blob, options: AnalysisOptions = {}): Promise<UploadResponse> {
    if (file.size > DIRECT_UPLOAD_MAX_BYTES) return this.analyzeStaged(file, options);
    const form = this.form(options);
    form.append("image", file, fileName(file));
    return this.json<UploadResponse>("POST", "/api/photo-analysis/upload/", { body: form, signal: options.signal });
  }

  /** One analysis by id. */
  get(id: string, options: { signal?: AbortSignal } = {}): Promise<Analysis> {
    return this.json<Analysis>("GET", `/api/photo-analysis/${encodeURIComponent(id)}/`, { query: this.owner(), signal: options.signal });
  }

  /** The caller's recent analyses, newest first (the signed-in user's, else the fingerprint's). */
  recent(options: { limit?: number; signal?: AbortSignal } = {}): Promise<RecentItem[]> {
    return this.json<RecentItem[]>("GET", "/api/photo-analysis/recent/", {
      query: { ...this.owner(), ...(options.limit ? { limit: String(options.limit) } : {}) },
      signal: options.signal,
    });
  }

  /** Deletes the caller's own upload (204); anyone else's, or an unknown id, is a 404. */
  async delete(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.request("DELETE", `/api/photo-analysis/${encodeURIComponent(id)}/`, { query: this.owner(), signal: options.signal });
  }

  /** Where the stored image of an analysis is served. */
  imageUrl(id: string): string {
    return `${this.baseUrl}/api/photo-analysis/${encodeURIComponent(id)}/image/`;
  }

  /**
   * Queues 1 to 10 photos and follows them to the end: live over the events WebSocket, or by
   * polling the batch when there is no WebSocket or it drops. Resolves with the batch's final
   * state; a photo that failed carries its error there (see `jobError`), the others their analysis.
   */
  async batch(files: Blob[], options: BatchOptions = {}): Promise<Batch> {
    const form = this.form(options);
    for (const file of files) form.append("image", file, fileName(file));
    const accepted = await this.json<AcceptedBatch>("POST", "/api/photo-analysis/batch/", { body: form, signal: options.signal });
    options.onAccepted?.(accepted);
    const seen = new Map<number, Stage>();
    const report = (update: ProgressUpdate) => {
      const before = seen.get(update.index);
      // The same stage may arrive twice around the moment of subscribing; a final stage is never followed by another.
      if (before === update.stage || (before && FINAL_STAGES.includes(before))) return;
      seen.set(update.index, update.stage);
      options.onProgress?.(update);
    };
    const finished = () => accepted.items.every((item) => FINAL_STAGES.includes(seen.get(item.index) ?? "queued"));
    if (this.socketClass) await this.follow(accepted, report, finished, options.signal).catch(() => undefined);
    // The final state from the API (also the fallback when the socket was missing or dropped).
    for (;;) {
      const batch = await this.json<Batch>("GET", new URL(accepted.status_url).pathname, {
        query: Object.fromEntries(new URL(accepted.status_url).searchParams),
        signal: options.signal,
      });
      for (const item of batch.items) report({ ...item, index: item.index ?? 0 });
      if (batch.status === "done") return batch;
      await delay(this.pollIntervalMs, options.signal);
    }
  }

  /** Resolves when every photo reached a final stage over the WebSocket; rejects when it cannot connect or drops first. */
  private async follow(accepted: AcceptedBatch, report: (update: ProgressUpdate) => void, finished: () => boolean, signal?: AbortSignal): Promise<void> {
    const token = await this.currentToken();
    const url = new URL(accepted.events_url);
    if (token) url.searchParams.set("access_token", token);
    const SocketClass = this.socketClass!;
    await new Promise<void>((resolve, reject) => {
      const socket = new SocketClass(url.toString());
      const stop = () => {
        socket.onclose = null;
        socket.close();
      };
      signal?.addEventListener("abort", () => {
        stop();
        reject(signal.reason);
      });
      socket.onopen = () => socket.send(JSON.stringify({ action: "subscribe", batch_id: accepted.batch_id }));
      socket.onmessage = (event: { data: unknown }) => {
        const message = parseMessage(event.data);
        if (message?.type !== "progress" || message.batch_id !== accepted.batch_id) return;
        report({ ...message, index: message.index ?? 0 });
        if (finished()) {
          stop();
          resolve();
        }
      };
      socket.onerror = () => reject(new Error("progress WebSocket failed"));
      socket.onclose = () => reject(new Error("progress WebSocket closed"));
    });
  }

  /** Large photos: ask for a presigned upload, send the file to the bucket, then analyse it by its upload id. */
  private async analyzeStaged(file: Blob, options: AnalysisOptions): Promise<UploadResponse> {
    const ticket = await this.json<UploadTicket>("POST", "/api/photo-analysis/upload-url/", {
      json: { ...this.ownerFields(), ...(file.type ? { content_type: file.type } : {}) },
      signal: options.signal,
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
    form.append("file", file, fileName(file));
    const stored = await this.fetcher(ticket.url, { method: "POST", body: form, signal: options.signal });
    if (!stored.ok) throw new ApiError(stored.status, await stored.text(), undefined, `The image store refused the upload (HTTP ${stored.status})`);
    return this.json<UploadResponse>("POST", "/api/photo-analysis/upload/", {
      json: { upload_id: ticket.upload_id, ...this.ownerFields(), ...promptFields(options) },
      signal: options.signal,
    });
  }

  private form(options: AnalysisOptions): FormData {
    const form = new FormData();
    for (const [name, value] of Object.entries({ ...this.ownerFields(), ...promptFields(options) })) form.append(name, value);
    return form;
  }

  private ownerFields(): { fingerprint?: string } {
    return this.fingerprint ? { fingerprint: this.fingerprint } : {};
  }

  private owner(): Record<string, string> {
    return this.fingerprint ? { fingerprint: this.fingerprint } : {};
  }

  private async currentToken(): Promise<string | undefined> {
    return typeof this.token === "function" ? await this.token() : this.token;
  }

  private async request(
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: FormData; json?: object; signal?: AbortSignal },
  ): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
    const headers: Record<string, string> = {};
    const token = await this.currentToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.json) headers["content-type"] = "application/json";
    const response = await this.fetcher(url, { method, headers, body: options.json ? JSON.stringify(options.json) : options.body, signal: options.signal });
    if (response.ok) return response;
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: the text itself
    }
    throw errorFor(response.status, body, response.headers.get("x-request-id") ?? undefined, response.headers.get("retry-after"));
  }

  private async json<T>(
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: FormData; json?: object; signal?: AbortSignal },
  ): Promise<T> {
    const response = await this.request(method, path, options);
    return (await response.json()) as T;
  }
}

/** A failed photo's error, typed as the synchronous upload would have thrown it (undefined unless it failed). */
export function jobError(job: Pick<Job, "error">): ApiError | undefined {
  return job.error ? errorFor(job.error.status, job.error.body, undefined) : undefined;
}

function promptFields(options: AnalysisOptions): Record<string, string> {
  const fields: Record<string, string> = {};
  if (options.style) fields.style = options.style;
  if (options.context) fields.context = options.context;
  if (options.language) fields.language = options.language;
  return fields;
}

function fileName(file: Blob): string {
  const name = (file as { name?: unknown }).name;
  return typeof name === "string" && name ? name : "photo";
}

function parseMessage(data: unknown): ProgressMessage | { type: "error"; batch_id?: undefined } | undefined {
  try {
    return JSON.parse(typeof data === "string" ? data : String(data)) as ProgressMessage;
  } catch {
    return undefined;
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}
