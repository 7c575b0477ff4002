import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import Busboy from "@fastify/busboy";
import { checkFileSize, checkPostFields, type PostFields, type S3Refusal, type SizeRange, s3ErrorXml } from "./s3-post-policy.js";

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Form fields S3 takes before the file (past it: MaxPostPreDataLengthExceeded). */
const MAX_PRE_FILE_BYTES = 20 * 1024;
/** After the file: the closing boundary, and fields S3 ignores. */
const MAX_POST_FILE_BYTES = 64 * 1024;
/** What is still read (and dropped) after a refusal, so that the client gets the answer rather than a reset. */
const MAX_DROPPED_BYTES = 16 * 1024 * 1024;
const WRITES = new Set(["PUT", "POST", "DELETE", "PATCH"]);

/**
 * In front of the embedded S3 server (s3rver accepts any form POST, and any unsigned write): a form
 * POST to a bucket is read up to its file and held to its policy as S3 holds it (s3-post-policy.ts),
 * then handed on whole; a write that carries no signature at all is refused as a private bucket
 * refuses it. Everything else goes to s3rver unchanged.
 */
export function guardS3(serve: RequestHandler, options: { secretOf(accessKeyId: string): string | undefined; now?: () => Date }): RequestHandler {
  return (request, response) => {
    const url = new URL(request.url ?? "/", "http://local");
    const segments = url.pathname.split("/").filter(Boolean);
    const isForm = /^multipart\/form-data/i.test(request.headers["content-type"] ?? "");
    if (request.method === "POST" && segments.length === 1 && url.search === "" && isForm) {
      return guardFormPost(request, response, {
        bucket: decodeURIComponent(segments[0]!),
        serve,
        secretOf: options.secretOf,
        now: options.now ?? (() => new Date()),
      });
    }
    const signed = Boolean(request.headers.authorization) || url.searchParams.has("X-Amz-Signature") || url.searchParams.has("Signature");
    if (WRITES.has(request.method ?? "") && !signed) return refuse(request, response, { status: 403, code: "AccessDenied", message: "Access Denied" });
    serve(request, response);
  };
}

function guardFormPost(
  request: IncomingMessage,
  response: ServerResponse,
  context: { bucket: string; serve: RequestHandler; secretOf(accessKeyId: string): string | undefined; now(): Date },
): void {
  const chunks: Buffer[] = [];
  const fields: PostFields = [];
  let received = 0;
  let settled = false;
  let fileSeen = false;
  let fileBytes = 0;
  let range: SizeRange | undefined;
  const malformed: S3Refusal = { status: 400, code: "MalformedPOSTRequest", message: "The body of your POST request is not well-formed multipart/form-data." };
  const finish = (refused: S3Refusal | null) => {
    if (settled) return;
    settled = true;
    if (refused) return refuse(request, response, refused);
    // All checked: s3rver stores it, from the bytes kept.
    context.serve(replayOf(request, Buffer.concat(chunks)), response);
  };

  let parser: ReturnType<typeof Busboy>;
  try {
    parser = Busboy({ headers: request.headers as { "content-type": string } });
  } catch {
    request.resume();
    finish(malformed);
    return;
  }
  parser.on("field", (name, value) => {
    if (!fileSeen) fields.push([name, value]);
  });
  parser.on("file", (name, stream) => {
    if (fileSeen || name.toLowerCase() !== "file") return void stream.resume();
    fileSeen = true;
    const verdict = checkPostFields(fields, { bucket: context.bucket, now: context.now(), secretOf: context.secretOf });
    if ("code" in verdict) {
      stream.resume();
      return finish(verdict);
    }
    range = verdict;
    stream.on("data", (chunk: Buffer) => {
      fileBytes += chunk.length;
      if (fileBytes > verdict.max) finish(checkFileSize(fileBytes, verdict));
    });
  });
  parser.on("error", () => finish(malformed));
  parser.on("finish", () => {
    if (!range) return finish(fileSeen ? malformed : { status: 400, code: "InvalidArgument", message: "POST requires exactly one file upload per request." });
    finish(checkFileSize(fileBytes, range));
  });
  request.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (settled) {
      if (received > MAX_DROPPED_BYTES) request.destroy();
      return;
    }
    chunks.push(chunk);
    parser.write(chunk);
    if (!fileSeen && received > MAX_PRE_FILE_BYTES) {
      finish({ status: 400, code: "MaxPostPreDataLengthExceeded", message: "Your POST request fields preceding the upload file were too large." });
    } else if (range && received > MAX_PRE_FILE_BYTES + range.max + MAX_POST_FILE_BYTES) {
      finish(checkFileSize(range.max + 1, range));
    }
  });
  request.on("end", () => {
    if (!settled) parser.end();
  });
  request.on("error", () => finish(malformed));
}

/** The request again, its body from memory, for s3rver to read as if it had come off the socket. */
function replayOf(original: IncomingMessage, body: Buffer): IncomingMessage {
  const headers = { ...original.headers, "content-length": String(body.length) };
  delete headers["transfer-encoding"];
  return Object.assign(Readable.from([body], { objectMode: false }), {
    headers,
    rawHeaders: [],
    method: original.method,
    url: original.url,
    httpVersion: original.httpVersion,
    httpVersionMajor: original.httpVersionMajor,
    httpVersionMinor: original.httpVersionMinor,
    socket: original.socket,
    connection: original.socket,
    complete: true,
    trailers: {},
    rawTrailers: [],
  }) as unknown as IncomingMessage;
}

function refuse(request: IncomingMessage, response: ServerResponse, refused: S3Refusal): void {
  const body = s3ErrorXml(refused, randomBytes(8).toString("hex").toUpperCase());
  response.writeHead(refused.status, { "content-type": "application/xml", "content-length": String(Buffer.byteLength(body)), connection: "close" });
  response.end(body);
  // The rest of the body is read and dropped (a client still sending gets the answer).
  request.resume();
}
