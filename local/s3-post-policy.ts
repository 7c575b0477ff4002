import { createHmac } from "node:crypto";

/**
 * What S3 checks of a browser-based upload (an HTML form POST to a bucket, Signature Version 4) before
 * it stores anything, for the embedded S3 server, which checks none of it: the policy's signature,
 * its expiry, that every field is allowed by a condition and every condition holds (the key, its
 * prefix, the content type), and the file's size against content-length-range. Refusals carry
 * S3's own error codes and statuses.
 */

export interface S3Refusal {
  status: number;
  code: string;
  message: string;
}

const refusal = (status: number, code: string, message: string): S3Refusal => ({ status, code, message });
const denied = (message: string) => refusal(403, "AccessDenied", message);

/** The form's fields before the file, names as sent (S3 compares them without regard to case). */
export type PostFields = [name: string, value: string][];

/** Fields S3 never asks a condition for. */
const UNCONDITIONED = new Set(["policy", "x-amz-signature", "file"]);

interface Policy {
  expiration?: unknown;
  conditions?: unknown;
}

/** The bytes the file may have (content-length-range), once the fields passed. */
export type SizeRange = { min: number; max: number };

/**
 * Checks the fields that came before the file. `secretOf` gives the secret key of an access key id
 * (undefined: unknown). Returns the refusal S3 would answer, or the file's allowed size range.
 */
export function checkPostFields(
  fields: PostFields,
  context: { bucket: string; now: Date; secretOf(accessKeyId: string): string | undefined },
): S3Refusal | SizeRange {
  const field = (name: string) => fields.find(([candidate]) => candidate.toLowerCase() === name.toLowerCase())?.[1];
  const encodedPolicy = field("policy");
  const signature = field("x-amz-signature");
  // No policy and no signature: an anonymous POST, which a private bucket refuses.
  if (encodedPolicy === undefined && signature === undefined) return denied("Access Denied");
  if (encodedPolicy === undefined || signature === undefined)
    return refusal(400, "InvalidArgument", "Bucket POST must contain a field named 'policy' and one named 'x-amz-signature'.");
  if (field("x-amz-algorithm") !== "AWS4-HMAC-SHA256")
    return refusal(400, "InvalidArgument", "Only the AWS4-HMAC-SHA256 algorithm is supported for POST policies.");
  const credential = (field("x-amz-credential") ?? "").split("/");
  if (credential.length !== 5 || credential[3] !== "s3" || credential[4] !== "aws4_request")
    return refusal(400, "InvalidArgument", "The x-amz-credential field is malformed.");
  const [accessKeyId, day, region] = credential as [string, string, string];
  const secret = context.secretOf(accessKeyId);
  if (secret === undefined) return refusal(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  if (signature !== postSignature(encodedPolicy, { secret, day, region })) {
    return refusal(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
  }

  let policy: Policy;
  try {
    policy = JSON.parse(Buffer.from(encodedPolicy, "base64").toString("utf8")) as Policy;
  } catch {
    return refusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.");
  }
  const expiration = typeof policy.expiration === "string" ? Date.parse(policy.expiration) : Number.NaN;
  if (Number.isNaN(expiration) || !Array.isArray(policy.conditions))
    return refusal(400, "InvalidPolicyDocument", "Invalid Policy: the policy needs an expiration and conditions.");
  if (expiration < context.now.getTime()) return denied("Invalid according to Policy: Policy expired.");

  // The bucket is the URL's; a `bucket` field, if sent, must name the same one.
  const sentBucket = field("bucket");
  if (sentBucket !== undefined && sentBucket !== context.bucket)
    return denied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify({ bucket: context.bucket })}`);
  const actualOf = (name: string) => (name.toLowerCase() === "bucket" ? context.bucket : (field(name) ?? ""));
  const covered = new Set<string>(["bucket"]);
  let range: SizeRange | undefined;
  for (const condition of policy.conditions as unknown[]) {
    const failed = denied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
    if (Array.isArray(condition)) {
      const [operator, subject, expected] = condition as [unknown, unknown, unknown];
      if (operator === "content-length-range" && typeof subject === "number" && typeof expected === "number") {
        range = { min: subject, max: expected };
        continue;
      }
      if ((operator !== "eq" && operator !== "starts-with") || typeof subject !== "string" || !subject.startsWith("$") || typeof expected !== "string") {
        return refusal(400, "InvalidPolicyDocument", `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`);
      }
      const name = subject.slice(1);
      covered.add(name.toLowerCase());
      const actual = actualOf(name);
      if (operator === "eq" ? actual !== expected : !actual.startsWith(expected)) return failed;
    } else if (condition !== null && typeof condition === "object" && Object.keys(condition).length === 1) {
      const [[name, expected]] = Object.entries(condition) as [[string, unknown]];
      covered.add(name.toLowerCase());
      if (actualOf(name) !== expected) return failed;
    } else {
      return refusal(400, "InvalidPolicyDocument", `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`);
    }
  }
  const extra = fields
    .map(([name]) => name)
    .filter((name) => !UNCONDITIONED.has(name.toLowerCase()) && !name.toLowerCase().startsWith("x-ignore-") && !covered.has(name.toLowerCase()));
  if (extra.length) return denied(`Invalid according to Policy: Extra input fields: ${extra.join(", ")}`);
  if (!field("key"))
    return refusal(400, "InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.");
  return range ?? { min: 0, max: Number.MAX_SAFE_INTEGER };
}

/** The file's size against the policy's content-length-range. */
export function checkFileSize(bytes: number, range: SizeRange): S3Refusal | null {
  if (bytes > range.max) return refusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
  if (bytes < range.min) return refusal(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size");
  return null;
}

/** Signature Version 4 of a POST policy: the base64 policy signed with the day's, region's and service's key. */
export function postSignature(encodedPolicy: string, scope: { secret: string; day: string; region: string }): string {
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data, "utf8").digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${scope.secret}`, scope.day), scope.region), "s3"), "aws4_request");
  return createHmac("sha256", signingKey).update(encodedPolicy, "utf8").digest("hex");
}

/** S3's error document. */
export function s3ErrorXml(refused: S3Refusal, requestId: string): string {
  const xmlText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refused.code}</Code><Message>${xmlText(refused.message)}</Message><RequestId>${requestId}</RequestId></Error>`;
}
