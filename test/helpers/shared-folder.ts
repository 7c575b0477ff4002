import { existsSync } from "node:fs";

/**
 * ../shared (the dev photos, the float reference model) sits beside the project in CI but not on a
 * fresh clone. Tests that need it call this and skip, saying why, when it is absent.
 */
export function hasSharedFolder(path: string, what: string): boolean {
  if (existsSync(path)) return true;
  console.log(`note: skipped, needs ${what} at ${path} (present in CI beside the project, absent on a fresh clone)`);
  return false;
}
