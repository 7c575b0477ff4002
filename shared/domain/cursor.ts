import { InvalidInputError } from "./errors.js";

/**
 * Page cursors: opaque base64url JSON for clients. Decoding validates the shape, so a forged
 * cursor is a 400 on `cursor` and never reaches a loop or a database call.
 */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (!isValid(value)) throw new InvalidInputError("cursor", "Invalid cursor: pass back the cursor of the previous page unchanged.");
  return value;
}

export const isRecordLike = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** A DynamoDB key as the document client returns it: string or number attributes only. */
export function isTableKey(value: unknown): value is Record<string, string | number> {
  return (
    isRecordLike(value) &&
    Object.keys(value).length > 0 &&
    Object.keys(value).length <= 4 &&
    Object.values(value).every((v) => typeof v === "string" || typeof v === "number")
  );
}
