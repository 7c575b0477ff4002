import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { closeAbandonedLevelIterators } from "../../shared/local/local-aws.js";

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
