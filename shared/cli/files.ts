import { readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";

const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".heif", ".avif"]);

/** Expands files and folders (one level deep, sorted) into image paths; unknown paths are an error. */
export async function expandImagePaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new Error(`no such file or folder: ${path}`);
    if (info.isDirectory()) {
      const entries = (await readdir(path)).sort();
      files.push(...entries.filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase())).map((name) => join(path, name)));
    } else {
      files.push(path);
    }
  }
  return files;
}
