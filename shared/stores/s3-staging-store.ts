import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { isMissingObject } from "./aws-errors.js";
import type { StagingStore } from "./ports.js";

/** Staging uploads in the image bucket under `uploads/` (a lifecycle rule removes leftovers). */
export class S3StagingStore implements StagingStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async createTarget(key: string, options: { maxBytes: number; contentType: string; expiresInSeconds: number }) {
    return createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: key,
      Conditions: [
        ["content-length-range", 1, options.maxBytes],
        ["eq", "$Content-Type", options.contentType],
      ],
      Fields: { "Content-Type": options.contentType },
      Expires: options.expiresInSeconds,
    });
  }

  async size(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw error;
    }
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return object.Body ? Buffer.from(await object.Body.transformToByteArray()) : null;
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw error;
    }
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: "application/octet-stream" }));
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
