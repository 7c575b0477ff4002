import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { logicalIdsByConfig } from "./logical-ids.js";

/**
 * The logical ids (and types) of every resource, pinned: CloudFormation replaces a resource whose
 * logical id changes, so a refactoring of lib/ must leave them as they are. After an intended change
 * (a new resource), regenerate logical-ids.json with
 * `npx tsx -e 'import("./test/infra/logical-ids.ts").then((m) => console.log(JSON.stringify(m.logicalIdsByConfig(), null, 2)))' > test/infra/logical-ids.json`
 * and review its diff: an id that disappears is a resource deleted on deploy.
 */
const PINNED = JSON.parse(readFileSync(new URL("./logical-ids.json", import.meta.url), "utf8")) as Record<string, Record<string, string>>;

describe("CloudFormation logical ids", () => {
  const synthesized = logicalIdsByConfig();
  for (const name of Object.keys(PINNED)) {
    it(`are unchanged in the ${name} configuration`, () => {
      expect(synthesized[name]).toEqual(PINNED[name]);
    });
  }
  it("covers every pinned configuration", () => {
    expect(Object.keys(synthesized).sort()).toEqual(Object.keys(PINNED).sort());
  });
});
