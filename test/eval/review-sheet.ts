/**
 * `npm run review-sheet`: writes docs/review-sheet.md, 30 dev photos (spread over the classes) with
 * the 10 names and taglines the local provider gives each, for a person to read and count how many
 * names they would pick; and the examples in docs/local-vision.md (the fixture photos' first names).
 *
 * The counts are ours, kept in review-counts.json with a fingerprint of the list they were given
 * for: when the names change, the sheet says the count is stale instead of showing it. The "before"
 * lists (review-before.json) are the recorded answers of the engine this one replaced.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Suggestion } from "../../shared/domain/types.js";
import { openImage, lazyJpeg } from "../../shared/image/decode.js";
import { LocalVisionProvider } from "../../shared/vision/local/provider.js";
import { EVAL_DIR, readTruth, spread } from "./local-eval.js";

const SHEET = "docs/review-sheet.md";
const GUIDE = "docs/local-vision.md";
const REVIEW_PHOTOS = 30;
/** Every third photo of the sheet also shows the names the previous engine gave it. */
const BEFORE_EVERY = 3;

interface Count {
  names: string;
  pick: number;
  notes: string;
}

export function fingerprint(suggestions: Suggestion[]): string {
  return createHash("sha256")
    .update(suggestions.map((s) => `${s.name}\t${s.description}`).join("\n"))
    .digest("hex")
    .slice(0, 12);
}

const provider = new LocalVisionProvider({});

async function analyze(path: string, context?: string) {
  const image = await openImage(await readFile(path), { maxPixels: 1e8 });
  return provider.analyze({ jpeg: lazyJpeg(image, 512), image, prompt: "unused by the local provider", context });
}

function listOf(suggestions: Suggestion[]): string {
  return suggestions.map((s, i) => `${i + 1}. **${s.name}** — ${s.description}`).join("\n");
}

/** The fixture photos' first names, with and without a context: the examples in docs/local-vision.md. */
async function writeExamples() {
  const rows: string[] = [];
  for (const [file, context] of [
    ["coffee-mug.jpg"],
    ["chelsea-cat.jpg"],
    ["labrador.webp"],
    ["labrador.webp", "names for my hiking club"],
    ["motorcycle.png"],
    ["astronaut.jpg"],
  ] as [string, string?][]) {
    const result = await analyze(join("fixtures/photos", file), context);
    const subject = (result.raw as { subject: { level: string; word: string } }).subject;
    rows.push(
      `| \`${file}\`${context ? ` with "${context}"` : ""} | ${result.labels
        .slice(0, 2)
        .map((l) => `${l.label} ${l.score}`)
        .join(", ")} | ${subject.level}: ${subject.word} | ${result.suggestions
        .slice(0, 5)
        .map((s) => s.name)
        .join(", ")} |`,
    );
  }
  const table = ["| photo | labels (first two) | named for | first five names |", "| --- | --- | --- | --- |", ...rows].join("\n");
  const guide = await readFile(GUIDE, "utf8");
  const marked = /<!-- examples:start -->[\s\S]*<!-- examples:end -->/;
  if (!marked.test(guide)) throw new Error(`${GUIDE} has no <!-- examples:start --> … <!-- examples:end --> block`);
  await writeFile(GUIDE, guide.replace(marked, `<!-- examples:start -->\n${table}\n<!-- examples:end -->`));
  console.log(`wrote the examples in ${GUIDE}`);
}

async function writeSheet() {
  const counts = JSON.parse(await readFile("test/eval/review-counts.json", "utf8").catch(() => "{}")) as Record<string, Count>;
  const before = JSON.parse(await readFile("test/eval/review-before.json", "utf8")) as {
    commit: string;
    photos: Record<string, Suggestion[]>;
    picks: Record<string, number>;
  };
  const truths = spread(await readTruth(), REVIEW_PHOTOS);
  const sections: string[] = [];
  const tally: { file: string; pick?: number }[] = [];
  for (const [index, truth] of truths.entries()) {
    const result = await analyze(join(EVAL_DIR, truth.file));
    const subject = (result.raw as { subject: { level: string; word: string; topic: string } }).subject;
    const print = fingerprint(result.suggestions);
    const count = counts[truth.file];
    const counted = count && count.names === print ? count : undefined;
    tally.push({ file: truth.file, pick: counted?.pick });
    const lines = [
      `### ${index + 1}. \`${truth.file}\` (true class: ${truth.label})`,
      "",
      `Labels: ${result.labels
        .slice(0, 3)
        .map((l) => `${l.label} ${l.score}`)
        .join(", ")}. Named for: ${subject.level} "${subject.word}" (topic ${subject.topic}). List \`${print}\`.`,
      "",
      listOf(result.suggestions),
      "",
      counted
        ? `**Would pick: ${counted.pick} of 10.** ${counted.notes}`
        : count
          ? "**Count stale**: the names changed since they were counted."
          : "**Not counted yet.**",
    ];
    const old = index % BEFORE_EVERY === 0 ? before.photos[truth.file] : undefined;
    if (old) lines.push("", `Before (the engine at ${before.commit}; would pick ${before.picks[truth.file]} of 10):`, "", listOf(old));
    sections.push(lines.join("\n"));
  }
  const picked = tally.filter((t): t is { file: string; pick: number } => t.pick !== undefined);
  const average = picked.length ? picked.reduce((sum, t) => sum + t.pick, 0) / picked.length : 0;
  const beforeFiles = Object.keys(before.picks);
  const beforeAverage = beforeFiles.reduce((sum, file) => sum + before.picks[file]!, 0) / beforeFiles.length;
  const afterOfBefore = beforeFiles.reduce((sum, file) => sum + (picked.find((t) => t.file === file)?.pick ?? 0), 0) / beforeFiles.length;
  const sheet = [
    "# Review sheet: names a person would pick",
    "",
    `Written by \`npm run review-sheet\` (test/eval/review-sheet.ts); do not edit by hand. ${REVIEW_PHOTOS} photos of \`../shared/eval/imagenet-dev\`, spread evenly over the classes, named by the local provider with nothing configured (default style, no context).`,
    "",
    "**How to count.** Read each list as a strict reader naming a chat room for that photo: count a name only if you would",
    'pick it as it stands, for this photo (not "could work with edits"). A name about the wrong thing, a pun that does',
    "not land, a raw class name, a clumsy frame or a tagline that does not go with it does not count.",
    "The counts are ours (test/eval/review-counts.json, each tied to the list it was given for).",
    "",
    `**Counted: ${picked.length} of ${tally.length} photos; on average ${average.toFixed(1)} of 10 names per photo a person would pick.**`,
    "",
    `The ${Object.keys(before.picks).length} photos that also show the previous engine's list (commit ${before.commit}), read the same way: ${beforeAverage.toFixed(1)} of 10 before, ${afterOfBefore.toFixed(1)} of 10 now.`,
    "",
    "| photo | would pick |",
    "| --- | --- |",
    ...tally.map((t) => `| \`${t.file}\` | ${t.pick ?? "—"} |`),
    "",
    ...sections.flatMap((section) => [section, ""]),
  ].join("\n");
  await writeFile(SHEET, sheet);
  console.log(`wrote ${SHEET}: ${picked.length} of ${tally.length} lists counted, average ${average.toFixed(1)} of 10`);
}

await writeExamples();
if (existsSync(EVAL_DIR)) await writeSheet();
else console.log(`skipped the review sheet: ${EVAL_DIR} is not here (the dev photos come with ../shared)`);
process.exit(0);
