import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { isMissingObject } from "./aws-errors.js";
import type { ImageStore, StoredImage } from "./ports.js";

export class S3ImageStore implements ImageStore {
  readonly storageType = "s3" as const;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: contentType }));
  }

  async get(key: string): Promise<StoredImage | null> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!object.Body) return null;
      const bytes = Buffer.from(await object.Body.transformToByteArray());
      return { bytes, contentType: object.ContentType ?? "application/octet-stream" };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 for a missing key too, which keeps cleanup idempotent.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** CopyObject: S3 copies the bytes and the content type itself; a missing source is false. */
  async copy(from: string, to: string): Promise<boolean> {
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          CopySource: [this.bucket, ...from.split("/")].map(encodeURIComponent).join("/"),
          MetadataDirective: "COPY",
        }),
      );
      return true;
    } catch (error) {
      if (isMissingObject(error)) return false;
      throw error;
    }
  }

  /** ListObjects (v1) with the last key as marker: s3rver, the local S3 API, fails truncated v2 listings. */
  async list(prefix: string, options: { limit: number; cursor?: string }) {
    const page = await this.client.send(new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, MaxKeys: options.limit, Marker: options.cursor }));
    const objects = (page.Contents ?? []).map((object) => ({ key: object.Key!, lastModified: object.LastModified ?? new Date(0) }));
    return { objects, cursor: page.IsTruncated ? objects.at(-1)?.key : undefined };
  }
}
