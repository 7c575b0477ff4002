import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile, rename } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { ImageStore, StoredImage } from "./ports.js";

const CONTENT_TYPE_SUFFIX = ".content-type";

/** Images on local disk under one root directory; keys are relative paths inside it. */
export class LocalImageStore implements ImageStore {
  readonly storageType = "local" as const;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private pathFor(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`image key escapes the store: ${key}`);
    return path;
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const path = this.pathFor(key);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename, so a crash never leaves a half-written image behind the key.
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, bytes);
    await writeFile(path + CONTENT_TYPE_SUFFIX, contentType);
    await rename(temporary, path);
  }

  async get(key: string): Promise<StoredImage | null> {
    const path = this.pathFor(key);
    try {
      const [bytes, contentType] = await Promise.all([readFile(path), readFile(path + CONTENT_TYPE_SUFFIX, "utf8").catch(() => "application/octet-stream")]);
      return { bytes, contentType };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathFor(key);
    await rm(path, { force: true });
    await rm(path + CONTENT_TYPE_SUFFIX, { force: true });
  }

  /** A copy on disk (content type included), written then renamed like a put; false when the source is gone. */
  async copy(from: string, to: string): Promise<boolean> {
    const source = this.pathFor(from);
    const target = this.pathFor(to);
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    try {
      await copyFile(source, temporary);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
    const contentType = await readFile(source + CONTENT_TYPE_SUFFIX, "utf8").catch(() => "application/octet-stream");
    await writeFile(target + CONTENT_TYPE_SUFFIX, contentType);
    await rename(temporary, target);
    return true;
  }

  /** Keys in the prefix's directory (one level, as images are stored), sorted; the cursor is the last key returned. */
  async list(prefix: string, options: { limit: number; cursor?: string }) {
    const directory = this.pathFor(prefix.endsWith("/") ? `${prefix}.` : prefix);
    const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [] as string[];
      throw error;
    });
    const keys = names
      .filter((name) => !name.endsWith(CONTENT_TYPE_SUFFIX) && !name.endsWith(".tmp"))
      .map((name) => `${prefix}${name}`)
      .sort()
      .filter((key) => !options.cursor || key > options.cursor)
      .slice(0, options.limit);
    const objects = await Promise.all(keys.map(async (key) => ({ key, lastModified: (await stat(this.pathFor(key))).mtime })));
    return { objects, cursor: keys.length === options.limit ? keys.at(-1) : undefined };
  }
}
