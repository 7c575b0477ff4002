import Busboy from "@fastify/busboy";
import type middy from "@middy/core";
import { ValidationError } from "../shared/domain/errors.js";
import type { HttpEvent, HttpResult } from "./http.js";

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
  /** The part was cut at the size limit. */
  truncated: boolean;
}

export interface MultipartForm {
  fields: Map<string, string[]>;
  files: Map<string, FilePart[]>;
}

export interface MultipartLimits {
  /** Bytes per file part; longer parts are cut and marked truncated. */
  fileSize: number;
  files: number;
  fields: number;
  /** Bytes per field value. */
  fieldSize: number;
}

export function isMultipart(contentType: string | undefined): boolean {
  return /^\s*multipart\/form-data\s*(;|$)/i.test(contentType ?? "");
}

const MALFORMED = "Invalid or malformed multipart/form-data.";

/** Parses a whole multipart body; malformed input of any kind is a ValidationError on `field` (a 400). */
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
    const openFiles: Promise<void>[] = [];
    parser.on("file", (name, stream, filename, _encoding, mimeType) => {
      const chunks: Buffer[] = [];
      openFiles.push(
        new Promise<void>((done) => {
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("error", () => {
            fail();
            done();
          });
          stream.on("end", () => {
            const parts = form.files.get(name) ?? [];
            parts.push({ filename: filename || undefined, mimeType: mimeType || undefined, content: Buffer.concat(chunks), truncated: stream.truncated === true });
            form.files.set(name, parts);
            done();
          });
        }),
      );
    });
    parser.on("field", (name, value, _nameTruncated, valueTruncated) => {
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
    try {
      parser.end(body);
    } catch {
      fail();
    }
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
 * untouched); malformed bodies become a 400 on `errorField` through the chain's onError.
 */
export function multipartForm(limits: MultipartLimits, errorField: string): middy.MiddlewareObj<FormEvent, HttpResult> {
  return {
    before: async (request) => {
      const event = request.event;
      const contentType = event.headers?.["content-type"] ?? event.headers?.["Content-Type"];
      if (!isMultipart(contentType)) return;
      const body = rawBodyOf(event) ?? (typeof event.body === "string" ? Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8") : Buffer.alloc(0));
      event.form = await parseMultipart(body, contentType!, limits, errorField);
    },
  };
}
