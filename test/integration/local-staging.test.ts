import { readFile } from "node:fs/promises";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createUploadUrlHandler } from "../../functions/upload-url/handler.js";
import type { HttpResult } from "../../functions/http.js";
import { createS3Client } from "../../shared/runtime/aws-clients.js";
import { httpEvent, parseJson } from "../helpers/events.js";
import { TEST_BUCKET } from "../helpers/stack.js";
import { useLocalStack } from "../helpers/stack.js";

/**
 * The embedded S3 server holds presigned POSTs to their policy as S3 does: an unsigned POST, a
 * forged policy, an expired one, an oversized file, another key, another content type and a field
 * the policy does not name are refused with S3's error codes, and nothing is stored; the real flow
 * stores the file. An unsigned PUT is refused as a private bucket refuses it.
 */
const suite = useLocalStack();
const photo = await readFile("fixtures/photos/coffee-mug.jpg");

interface Ticket {
  url: string;
  fields: Record<string, string>;
  upload_id: string;
}

async function ticketFor(env: NodeJS.ProcessEnv = {}, contentType = "image/jpeg") {
  const deps = await suite.stack.deps(env);
  const handler = createUploadUrlHandler(() => deps);
  const answer = (await handler(
    httpEvent({
      method: "POST",
      path: "/api/photo-analysis/upload-url/",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fingerprint: `fp-staging-${Math.random()}`, content_type: contentType }),
    }),
  )) as HttpResult;
  expect(answer.statusCode).toBe(201);
  return { ticket: parseJson(answer) as Ticket, deps };
}

/** A browser form POST: the fields in order, the file last. */
async function post(url: string, fields: [string, string][], file: Buffer, fileType = "image/jpeg") {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  form.append("file", new Blob([file], { type: fileType }), "photo.jpg");
  const response = await fetch(url, { method: "POST", body: form });
  const text = await response.text();
  const message = (/<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? "")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1], message };
}

async function postWithoutFile(url: string, fields: [string, string][]) {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  const response = await fetch(url, { method: "POST", body: form });
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1], message: "" };
}

const replaced = (fields: Record<string, string>, name: string, value: string): [string, string][] =>
  Object.entries(fields).map(([key, old]) => [key, key === name ? value : old]);

describe("presigned uploads without S3", () => {
  // Until the one not-configured error this was a 400 field error: now the 503 any missing collaborator gets.
  it("are the 503 of anything not configured, naming the setting", async () => {
    const deps = await suite.stack.deps({}, { staging: undefined });
    const answer = (await createUploadUrlHandler(() => deps)(
      httpEvent({
        method: "POST",
        path: "/api/photo-analysis/upload-url/",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ fingerprint: "fp-no-s3", content_type: "image/jpeg" }),
      }),
    )) as HttpResult;
    expect(answer.statusCode).toBe(503);
    expect(parseJson(answer)).toEqual({
      error: "Photo analysis unavailable",
      detail: "Presigned uploads need S3 storage, which is not configured on this server (PHOTO_ANALYSIS_BUCKET).",
    });
  });
});

describe("presigned POSTs to the local S3 server", () => {
  it("stores the file of a POST made as the ticket says", async () => {
    const { ticket, deps } = await ticketFor();
    expect(await post(ticket.url, Object.entries(ticket.fields), photo)).toMatchObject({ status: 204 });
    expect(await deps.staging!.size(`uploads/${ticket.upload_id}`)).toBe(photo.length);
  });

  it("refuses with S3's error codes, and stores nothing: unsigned, forged, expired, oversized, another key, another content type, an extra field", async () => {
    const { ticket, deps } = await ticketFor({ PHOTO_ANALYSIS_MAX_FILE_SIZE_MB: "0.05" });
    const key = `uploads/${ticket.upload_id}`;
    const policy = JSON.parse(Buffer.from(ticket.fields.Policy!, "base64").toString()) as { conditions: unknown[] };
    const widened = Buffer.from(
      JSON.stringify({
        ...policy,
        conditions: policy.conditions.map((condition) =>
          Array.isArray(condition) && condition[0] === "content-length-range" ? ["content-length-range", 1, 1e9] : condition,
        ),
      }),
    ).toString("base64");
    const s3 = createS3Client({ region: "us-east-1", s3Endpoint: suite.stack.aws.s3Endpoint, localKeyPair: true });
    const expired = await createPresignedPost(s3, { Bucket: TEST_BUCKET, Key: key, Conditions: [["content-length-range", 1, 1e6]], Expires: -60 });
    const cases: [string, Promise<{ status: number; code?: string; message: string }>, number, string, RegExp?][] = [
      ["unsigned", post(ticket.url, [["key", key]], photo.subarray(0, 1000)), 403, "AccessDenied", /^Access Denied$/],
      ["forged policy", post(ticket.url, replaced(ticket.fields, "Policy", widened), photo), 403, "SignatureDoesNotMatch"],
      ["expired", post(expired.url, Object.entries(expired.fields), photo.subarray(0, 1000)), 403, "AccessDenied", /Policy expired/],
      ["oversized", post(ticket.url, Object.entries(ticket.fields), photo), 400, "EntityTooLarge"],
      [
        "another key",
        post(ticket.url, replaced(ticket.fields, "key", "uploads/someone-elses"), photo.subarray(0, 1000)),
        403,
        "AccessDenied",
        /Policy Condition failed: \{"key":/,
      ],
      [
        "another content type",
        post(ticket.url, replaced(ticket.fields, "Content-Type", "text/html"), photo.subarray(0, 1000), "text/html"),
        403,
        "AccessDenied",
        /Policy Condition failed: \["eq","\$Content-Type","image\/jpeg"\]/,
      ],
      [
        "an extra field",
        post(ticket.url, [...Object.entries(ticket.fields), ["acl", "public-read"]], photo.subarray(0, 1000)),
        403,
        "AccessDenied",
        /Extra input fields: acl/,
      ],
      ["no file", postWithoutFile(ticket.url, Object.entries(ticket.fields)), 400, "InvalidArgument"],
    ];
    for (const [what, answer, status, code, message] of cases) {
      const got = await answer;
      expect(got.status, what).toBe(status);
      expect(got.code, what).toBe(code);
      if (message) expect(got.message, what).toMatch(message);
    }
    expect(await deps.staging!.size(key)).toBeNull();
    expect(await deps.staging!.size("uploads/someone-elses")).toBeNull();
  });

  it("refuses an unsigned PUT over a staged photo, and takes the SDK's signed one", async () => {
    const { ticket, deps } = await ticketFor();
    const key = `uploads/${ticket.upload_id}`;
    expect((await post(ticket.url, Object.entries(ticket.fields), photo)).status).toBe(204);
    const overwrite = await fetch(`${suite.stack.aws.s3Endpoint}/${TEST_BUCKET}/${key}`, { method: "PUT", body: "not a photo" });
    expect(overwrite.status).toBe(403);
    expect(await overwrite.text()).toContain("<Code>AccessDenied</Code>");
    expect(await deps.staging!.size(key)).toBe(photo.length);
    await deps.staging!.put(key, Buffer.from("written by the service"));
    expect(await deps.staging!.size(key)).toBe(22);
  });

  it("stores nothing for any field changed from the ticket's", async () => {
    const { ticket, deps } = await ticketFor();
    const names = Object.keys(ticket.fields);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.string({ minLength: 1, maxLength: 40 }), async (name, value) => {
        fc.pre(value !== ticket.fields[name]);
        const answer = await post(ticket.url, replaced(ticket.fields, name, value), photo.subarray(0, 2000));
        expect(answer.status, `${name}=${value}`).toBeGreaterThanOrEqual(400);
        expect(answer.status, `${name}=${value}`).toBeLessThan(500);
      }),
      { numRuns: 40, seed: 7 },
    );
    expect(await deps.staging!.size(`uploads/${ticket.upload_id}`)).toBeNull();
  });
});
