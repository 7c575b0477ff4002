/**
 * `npx tsx test/eval/before-after.ts [--before COMMIT]`: the naming measures of npm run eval for this
 * engine and for the one at COMMIT (default 301226b, the engine this one replaced), on the same
 * model outputs for the 250 dev photos: the models run once per photo, then each engine names the
 * scene. The old engine is taken from git (git archive into a temporary folder), so nothing of it
 * needs to stay in the tree. Moderation is not run: every photo is named.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Suggestion } from "../../shared/domain/types.js";
import { openImage } from "../../shared/image/decode.js";
import { IMAGENET_ENTRIES, mergeConcepts } from "../../shared/vision/local/concepts.js";
import { palette } from "../../shared/vision/local/inference.js";
import { localModels, type RgbImage, shippedClassifierDir } from "../../shared/vision/local/models.js";
import { planNames } from "../../shared/vision/local/naming.js";
import { STYLE_NAMES, type Style } from "../../shared/domain/styles.js";
import { classSynonyms, EVAL_DIR, readTruth } from "./local-eval.js";
import { isSubjectWrong, type NamedSubject, nameLengths, namingQuality, truthEntry } from "./naming-measures.js";
import { everydayTerms, relevance, subjectTerms } from "./relevance.js";
import { sameness } from "./sameness.js";

const { values } = parseArgs({ options: { before: { type: "string" } } });
if (!existsSync(EVAL_DIR)) {
  console.log(`skipped: ${EVAL_DIR} is not here (the dev photos come with ../shared)`);
  process.exit(0);
}
const commit = values.before ?? "301226b";

// The old engine's modules, from git, beside this project's node_modules.
const oldTree = mkdtempSync(join(tmpdir(), "naming-before-"));
execFileSync("sh", ["-c", `git archive ${commit} shared | tar -x -C ${oldTree}`]);
symlinkSync(resolve("node_modules"), join(oldTree, "node_modules"));
const old = {
  concepts: (await import(join(oldTree, "shared/vision/local/concepts.ts"))) as { mergeConcepts: typeof mergeConcepts },
  naming: (await import(join(oldTree, "shared/vision/local/naming.ts"))) as { nameScene: (scene: unknown, style?: Style) => Suggestion[] },
};

async function rgb(bytes: Buffer, size?: number, mirror = false): Promise<RgbImage> {
  const image = await openImage(bytes, { maxPixels: 1e8 });
  const pipeline = image.pipeline().flatten({ background: "#ffffff" }).removeAlpha();
  if (mirror) pipeline.flop();
  if (size) pipeline.resize(size, size, { fit: "cover" });
  else pipeline.resize(512, 512, { fit: "inside", withoutEnlargement: true });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

const models = await localModels(shippedClassifierDir());
const truths = await readTruth();
type Output = { labels: string[]; suggestions: Suggestion[] };
const listsByStyle = () => Object.fromEntries(["default", ...STYLE_NAMES].map((style) => [style, [] as Output[]])) as Record<string, Output[]>;
const engines = { before: { lists: listsByStyle(), wrong: 0, relevance: 0 }, after: { lists: listsByStyle(), wrong: 0, relevance: 0, unnamed: 0 } };
const classes = IMAGENET_ENTRIES;
for (const [index, truth] of truths.entries()) {
  const bytes = await readFile(join(EVAL_DIR, truth.file));
  const [full, crop, mirrored] = await Promise.all([rgb(bytes), rgb(bytes, 224), rgb(bytes, 224, true)]);
  const classifications = await models.classifier.classify([crop, mirrored], 5);
  const detected = await models.detector.detect(full);
  const entry = truthEntry(truth.label, truth.wnid)!;
  const { synonyms, isAnimalClass } = classSynonyms(truth);
  const terms = subjectTerms(synonyms, isAnimalClass);
  const allTerms = [...new Set([...terms, ...everydayTerms(entry)])];

  const scene = { ...mergeConcepts(classifications, detected.objects, detected.faces), palette: palette(full) };
  const oldScene = { ...old.concepts.mergeConcepts(classifications, detected.objects, detected.faces), palette: palette(full) };
  for (const style of [undefined, ...STYLE_NAMES]) {
    const key = style ?? "default";
    const now = planNames(scene, style);
    engines.after.lists[key]!.push({ labels: scene.labels.map((l) => l.label), suggestions: now.suggestions });
    engines.before.lists[key]!.push({ labels: oldScene.labels.map((l: { label: string }) => l.label), suggestions: old.naming.nameScene(oldScene, style) });
    if (style) continue;
    engines.after.relevance += relevance(now.suggestions, allTerms);
    engines.before.relevance += relevance(engines.before.lists.default!.at(-1)!.suggestions, allTerms);
    const subject: NamedSubject = { word: now.reading.subject.word, topic: now.reading.subject.topic.id, level: now.reading.subject.level };
    const wrong = isSubjectWrong(subject, entry);
    if (wrong === undefined) engines.after.unnamed++;
    else if (wrong) engines.after.wrong++;
    // The old engine named every photo for its first label (people for people): its subject is that label's everyday word.
    const first = oldScene.labels[0]?.label ?? "";
    const firstEntry = first === "person" || first === "people" ? undefined : (classes.find((e) => e.label === first) ?? undefined);
    const oldSubject: NamedSubject = firstEntry
      ? { word: firstEntry.word, topic: firstEntry.topic.id, level: "thing" }
      : { word: "people", topic: "people", level: "people" };
    if (isSubjectWrong(oldSubject, entry)) engines.before.wrong++;
  }
  if ((index + 1) % 25 === 0) process.stderr.write(`  ${index + 1}/${truths.length} photos\n`);
}
rmSync(oldTree, { recursive: true, force: true });

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
const n = truths.length;
console.log(`naming measures on the ${n} dev photos, same model outputs for both engines (before: ${commit})`);
console.log("measure".padEnd(34), "before".padEnd(22), "after");
const row = (label: string, before: string, after: string) => console.log(label.padEnd(34), before.padEnd(22), after);
const qb = namingQuality(engines.before.lists.default!);
const qa = namingQuality(engines.after.lists.default!);
row("relevance (WordNet + everyday)", percent(engines.before.relevance / n), percent(engines.after.relevance / n));
row("raw unfit class names", percent(qb.unfitShare), percent(qa.unfitShare));
row("doubled words", percent(qb.doubledShare), percent(qa.doubledShare));
row("gloss taglines", percent(qb.glossShare), percent(qa.glossShare));
row("taglines repeating their name", percent(qb.repeatShare), percent(qa.repeatShare));
row(
  "named subject wrong",
  percent(engines.before.wrong / n),
  `${percent(engines.after.wrong / n)} (${percent(engines.after.unnamed / n)} named for nothing in particular)`,
);
row("sameness, names", percent(sameness(engines.before.lists.default!, "name").share), percent(sameness(engines.after.lists.default!, "name").share));
row(
  "sameness, descriptions",
  percent(sameness(engines.before.lists.default!, "description").share),
  percent(sameness(engines.after.lists.default!, "description").share),
);
for (const style of ["default", ...STYLE_NAMES]) {
  const [b, a] = [nameLengths(engines.before.lists[style]!.map((o) => o.suggestions)), nameLengths(engines.after.lists[style]!.map((o) => o.suggestions))];
  row(
    `${style}: chars / words / 1-2 words`,
    `${b.chars.toFixed(1)} / ${b.words.toFixed(2)} / ${percent(b.shortShare)}`,
    `${a.chars.toFixed(1)} / ${a.words.toFixed(2)} / ${percent(a.shortShare)}`,
  );
}
process.exit(0);
