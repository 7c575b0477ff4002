/**
 * Where objects live in the bucket. One definition for the use cases, the cleanup's orphan sweep and
 * the CDK stack (its IAM grants and lifecycle rules cover exactly these prefixes).
 */
export const IMAGE_KEY_PREFIX = "photo_analysis/";
/** Presigned uploads land here before analysis. */
export const STAGING_KEY_PREFIX = "uploads/";

/** The bucket's areas by key prefix: what the stack grants per function (functions/routes.ts, FunctionAccess.objects). */
export const BUCKET_AREAS = { images: IMAGE_KEY_PREFIX, staging: STAGING_KEY_PREFIX } as const;
export type BucketArea = keyof typeof BUCKET_AREAS;

const EXTENSIONS: Record<string, string> = { "image/jpeg": "jpg", "image/webp": "webp" };

/** Each upload's own image: keyed by the upload's id (an exact hit's is a copy under its own id). */
export function imageKey(id: string, contentType: string): string {
  return `${IMAGE_KEY_PREFIX}${id}.${EXTENSIONS[contentType] ?? "bin"}`;
}

/** The upload id an image key belongs to ("photo_analysis/<id>.jpg" → id); undefined for other keys. */
export function uploadIdOfImageKey(key: string): string | undefined {
  const match = /^photo_analysis\/([^/.]+)\.[a-z]+$/.exec(key);
  return match?.[1];
}
