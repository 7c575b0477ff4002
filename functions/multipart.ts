import Busboy from "@fastify/busboy";
import type middy from "@middy/core";
import { PayloadTooLargeError, ValidationError } from "../shared/domain/errors.js";
import { bodyOver, type HttpEvent, type HttpResult } from "./http.js";

/**
 * multipart/form-data (RFC 7578) parsed with busboy directly, so that no client can crash the
 * process: every stream's "error" is handled (a file part without its closing boundary used to
 * throw on a later tick through @middy/http-multipart-body-parser), field names are keys of a Map
 * (never of a plain object: "__proto__[]" is just a name), and any content type busboy accepts
 * is accepted: quoted boundaries (.NET), "_ . +" in them (Dart), no space after ";", any case,
 * parameters in any order.
 */

export interface FilePart {
  filename: string | undefined;
  mimeType: string | undefined;
  content: Buffer;
}

export interface MultipartForm {
  fields: Map<string, string[]>;
  files: Map<string, FilePart[]>;
}

export interface MultipartLimits {
  /** Bytes per file part; a longer part refuses the form at once. */
  fileSize: number;
  files: number;
  fields: number;
  /** Bytes per field value. */
  fieldSize: number;
}

/** API Gateway's ceiling on a request body (HTTP APIs: 10 MB): a larger form is refused before it is decoded or parsed. */
export const MAX_FORM_BODY_BYTES = 10 * 1024 * 1024;

export function isMultipart(contentType: string | undefined): boolean {
  return /^\s*multipart\/form-data\s*(;|$)/i.test(contentType ?? "");
}

const MALFORMED = "Invalid or malformed multipart/form-data.";
/** The parser is fed this much at a time, yielding to the event loop in between; it stops at the first refusal. */
const CHUNK_BYTES = 64 * 1024;
/** busboy's own ceiling on one part's headers. */
const MAX_PART_HEADER_BYTES = 80 * 1024;

/**
 * Parses a whole multipart body; malformed input of any kind is a ValidationError on `field` (a
 * 400). The body is fed in chunks and parsing stops at the first thing over the limits (a part too
 * many, a file or a field too long), so a hostile body costs what it takes to find its first excess,
 * never a parse of the rest. busboy reports a field only once it ends, so a field still going long
 * past its limit is recognised by the bytes fed since the last part that was seen to end or begin.
 */
export function parseMultipart(body: Buffer, contentType: string, limits: MultipartLimits, field = "non_field_errors"): Promise<MultipartForm> {
  return new Promise((resolve, reject) => {
    const form: MultipartForm = { fields: new Map(), files: new Map() };
    let settled = false;
    const fail = (message = MALFORMED, on = field) => {
      if (settled) return;
      settled = true;
      reject(new ValidationError({ [on]: [message] }));
    };
    let parser: ReturnType<typeof Busboy>;
    try {
      parser = Busboy({ headers: { "content-type": contentType }, limits: { ...limits, parts: limits.files + limits.fields } });
    } catch {
      fail();
      return;
    }
    let fed = 0;
    // Where the part being read began, at the latest (a field is reported when it ends, a file when it begins).
    let partSeenAt = 0;
    // Files being read: the next file's "file" event can come before the previous stream's "end".
    let filesOpen = 0;
    // Past this many bytes of one non-file part, it is a field over fieldSize (or garbage): the previous
    // part's tail (reported late), two parts' headers and one chunk fit below it.
    const fieldOverrun = 2 * (limits.fieldSize + MAX_PART_HEADER_BYTES) + CHUNK_BYTES;
    const openFiles: Promise<void>[] = [];
    parser.on("file", (name, stream, filename, _encoding, mimeType) => {
      filesOpen++;
      partSeenAt = fed;
      let open = true;
      const closed = () => {
        if (open) filesOpen--;
        open = false;
      };
      const chunks: Buffer[] = [];
      openFiles.push(
        new Promise<void>((done) => {
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("limit", () => {
            closed();
            fail("Image file too large.");
            done();
          });
          stream.on("error", () => {
            closed();
            fail();
            done();
          });
          stream.on("end", () => {
            closed();
            partSeenAt = fed;
            const parts = form.files.get(name) ?? [];
            parts.push({ filename: filename || undefined, mimeType: mimeType || undefined, content: Buffer.concat(chunks) });
            form.files.set(name, parts);
            done();
          });
        }),
      );
    });
    parser.on("field", (name, value, _nameTruncated, valueTruncated) => {
      partSeenAt = fed;
      if (valueTruncated) return fail(`Ensure this field has no more than ${limits.fieldSize} characters.`, name);
      form.fields.set(name, [...(form.fields.get(name) ?? []), value]);
    });
    parser.on("partsLimit", () => fail(`Too many parts: at most ${limits.files} files and ${limits.fields} fields.`));
    parser.on("filesLimit", () => fail(`Too many files: at most ${limits.files}.`));
    parser.on("fieldsLimit", () => fail(`Too many fields: at most ${limits.fields}.`));
    parser.on("error", () => fail());
    parser.on("finish", () => {
      void Promise.all(openFiles).then(() => {
        if (settled) return;
        settled = true;
        resolve(form);
      });
    });
    const feed = async () => {
      for (let offset = 0; offset < body.length && !settled; offset += CHUNK_BYTES) {
        parser.write(body.subarray(offset, offset + CHUNK_BYTES));
        fed = Math.min(body.length, offset + CHUNK_BYTES);
        if (filesOpen === 0 && fed - partSeenAt > fieldOverrun) fail(`A form field is longer than ${limits.fieldSize} characters.`);
        // Events of this chunk (a file that ended, a field) are handled before the next one.
        await new Promise<void>((next) => setImmediate(next));
      }
      if (!settled) parser.end();
    };
    feed().catch(() => fail());
  });
}

/**
 * The local server hands the request body's bytes alongside the event (API Gateway can only send
 * base64 text), so a local upload skips a base64 encode and decode of the whole photo.
 */
const RAW_BODY = Symbol.for("photo-analysis.rawBody");

export function withRawBody<E extends object>(event: E, body: Buffer): E {
  Object.defineProperty(event, RAW_BODY, { value: body, enumerable: false });
  return event;
}

function rawBodyOf(event: object): Buffer | undefined {
  return (event as { [RAW_BODY]?: Buffer })[RAW_BODY];
}

/** An API Gateway event whose multipart body (if any) has been parsed. */
export type FormEvent = HttpEvent & { form?: MultipartForm };

/**
 * Middy middleware: parses a multipart body into `event.form` (other content types pass through
 * untouched); malformed bodies become a 400 on `errorField` through the chain's onError, and one
 * over MAX_FORM_BODY_BYTES a 413 before it is decoded.
 */
export function multipartForm(limits: MultipartLimits, errorField: string): middy.MiddlewareObj<FormEvent, HttpResult> {
  return {
    before: async (request) => {
      const event = request.event;
      const contentType = event.headers?.["content-type"] ?? event.headers?.["Content-Type"];
      if (!isMultipart(contentType)) return;
      const raw = rawBodyOf(event);
      const oversized = raw
        ? raw.length > MAX_FORM_BODY_BYTES
        : typeof event.body === "string" && bodyOver(event.body, event.isBase64Encoded, MAX_FORM_BODY_BYTES);
      if (oversized) throw new PayloadTooLargeError({ [errorField]: [`Request body too large: at most ${MAX_FORM_BODY_BYTES / 1024 / 1024} MB.`] });
      const body = raw ?? (typeof event.body === "string" ? Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8") : Buffer.alloc(0));
      event.form = await parseMultipart(body, contentType!, limits, errorField);
    },
  };
}
