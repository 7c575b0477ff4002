import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import S3rver from "s3rver";
import { describe, expect, it } from "vitest";
import { closeAbandonedLevelIterators, storeObjectsBeforeAnswering } from "../../local/aws.js";

describe("the local DynamoDB server's LevelDB iterators", () => {
  it("can be closed the way dynalite closes them (return()), so finished and abandoned queries release their snapshots", async () => {
    closeAbandonedLevelIterators();
    const fromDynalite = createRequire(createRequire(import.meta.url).resolve("dynalite"));
    const { Level } = fromDynalite("level") as {
      Level: new (
        path: string,
      ) => {
        open(): Promise<void>;
        put(k: string, v: string): Promise<void>;
        values(): { next(): Promise<unknown>; return?: () => Promise<unknown> };
        close(): Promise<void>;
      };
    };
    const dir = await mkdtemp(join(tmpdir(), "level-iterators-"));
    const db = new Level(dir);
    try {
      await db.open();
      await db.put("a", "1");
      const iterator = db.values();
      expect(await iterator.next()).toBe("1");
      expect(typeof iterator.return).toBe("function");
      await iterator.return!();
      await expect(iterator.next()).rejects.toMatchObject({ code: "LEVEL_ITERATOR_NOT_OPEN" });
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the local S3 server's writes", () => {
  it("are complete on disk when the store says they are stored, so a read right after a write sees the whole object", async () => {
    const dir = await mkdtemp(join(tmpdir(), "s3rver-writes-"));
    const s3 = new S3rver({ address: "127.0.0.1", port: 0, directory: dir, silent: true, configureBuckets: [{ name: "b" }] });
    await s3.run();
    try {
      storeObjectsBeforeAnswering(s3);
      const store = (s3 as unknown as { store: { putObject(object: object): Promise<{ size: number; md5: string }>; getResourcePath(...a: string[]): string } })
        .store;
      const bytes = Buffer.alloc(8 * 1024 * 1024, 7);
      for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
      // A request body arrives as a stream of chunks, as s3rver's PUT and form POST hand it over.
      const chunks = Array.from({ length: bytes.length / 65536 }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536));
      const stored = await store.putObject({ bucket: "b", key: "uploads/x", metadata: {}, content: Readable.from(chunks) });
      const path = store.getResourcePath("b", "uploads/x", "object");
      expect((await stat(path)).size).toBe(bytes.length);
      expect(stored.size).toBe(bytes.length);
      expect((await readFile(path)).equals(bytes)).toBe(true);
    } finally {
      await s3.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
