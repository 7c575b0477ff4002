import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { isBlocked, slugify } from "../../shared/domain/suggestions.js";
import type { Suggestion } from "../../shared/domain/types.js";
import { STYLE_NAMES, type Style } from "../../shared/domain/styles.js";
import { type Classification, DETECTOR_ENTRIES, type Detection, IMAGENET_ENTRIES, mergeConcepts } from "../../shared/vision/local/concepts.js";
import { COCO_LABELS } from "../../shared/vision/local/coco-labels.js";
import { FRAMES } from "../../shared/vision/local/lexicon/frames.js";
import { article, hasDoubledWord, nameScene, planNames, readScene, type Scene, titleCase } from "../../shared/vision/local/naming.js";
import { PURPOSES } from "../../shared/vision/local/purposes.js";
import { lineage, MYSTERY, TOPICS, topicById } from "../../shared/vision/local/themes.js";

const require = createRequire(import.meta.url);
const IMAGENET_CLASSES = (require("@tensorflow-models/mobilenet/dist/imagenet_classes.js") as { IMAGENET_CLASSES: Record<number, string> }).IMAGENET_CLASSES;
const MINOR = new Set(["a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to", "with"]);

/** An ImageNet class as the classifier reports it. */
function guess(index: number, score: number): Classification {
  return { synonyms: IMAGENET_CLASSES[index]!.split(",").map((name) => name.trim()), score, isAnimalClass: index < 398 };
}
function indexOf(label: string): number {
  const index = IMAGENET_ENTRIES.findIndex((entry) => entry.label === label);
  if (index < 0) throw new Error(`no class ${label}`);
  return index;
}
function sceneOf(guesses: [string, number][], detections: Detection[] = [], faces = 0): Scene {
  return mergeConcepts(
    guesses.map(([label, score]) => guess(indexOf(label), score)),
    detections,
    faces,
  );
}
const names = (suggestions: Suggestion[]) => suggestions.map((s) => s.name);
const text = (suggestions: Suggestion[]) => suggestions.map((s) => `${s.name} ${s.description}`).join(" | ");

/** What breaks the rules in a list of suggestions (empty when it is well formed). */
function problemsIn(suggestions: Suggestion[], style: Style | undefined, scene: Scene): string[] {
  const problems: string[] = [];
  if (suggestions.length !== 10) problems.push(`${suggestions.length} suggestions`);
  if (new Set(suggestions.map((s) => s.key)).size !== suggestions.length) problems.push("keys repeat");
  if (new Set(suggestions.map((s) => s.description)).size !== suggestions.length) problems.push("taglines repeat");
  const unfit = scene.concepts.filter((c) => !c.fit).map((c) => c.label.toLowerCase());
  for (const { name, key, description } of suggestions) {
    const words = name.split(" ");
    if (style === "short" ? words.length > 2 || name.length > 16 : words.length < 2 || words.length > 4 || name.length > 40) problems.push(`${name}: length`);
    if (description.length > 90 || /[{}]/.test(description)) problems.push(`${description}: length or slot`);
    if (key !== slugify(name)) problems.push(`${name}: key ${key}`);
    if (hasDoubledWord(name)) problems.push(`${name}: a word twice`);
    if (isBlocked(`${name} ${description}`)) problems.push(`${name}: blocked`);
    for (const label of unfit) if (name.toLowerCase().includes(label)) problems.push(`${name}: raw class name "${label}"`);
    if (description.toLowerCase().includes(name.toLowerCase().replace(/\?$/, ""))) problems.push(`"${description}" repeats "${name}"`);
    if (words.some((word, i) => !(i > 0 && i < words.length - 1 && MINOR.has(word.toLowerCase())) && word[0] !== word[0]!.toUpperCase()))
      problems.push(`${name}: not Title Case`);
  }
  return problems;
}

describe("the naming lexicon (data written by hand, checked here)", () => {
  it("has on the order of 150 topics in one tree, each with at least 30 names and 20 taglines", () => {
    expect(TOPICS.length).toBeGreaterThanOrEqual(140);
    for (const topic of TOPICS) {
      expect(topic.playful.length, topic.id).toBeGreaterThanOrEqual(10);
      expect(topic.clear.length, topic.id).toBeGreaterThanOrEqual(10);
      expect(topic.cozy.length, topic.id).toBeGreaterThanOrEqual(8);
      expect(topic.playful.length + topic.clear.length + topic.cozy.length, topic.id).toBeGreaterThanOrEqual(30);
      expect(topic.taglines.length, topic.id).toBeGreaterThanOrEqual(20);
      expect(lineage(topic).length, topic.id).toBeLessThanOrEqual(5);
    }
  });

  it("writes names a room could carry: 2-4 words, at most 40 characters, Title Case, no word twice, none blocked, none repeated in a topic", () => {
    const problems: string[] = [];
    for (const topic of TOPICS) {
      const all = [...topic.playful, ...topic.clear, ...topic.cozy];
      if (new Set(all.map((name) => name.toLowerCase())).size !== all.length) problems.push(`${topic.id} repeats a name`);
      for (const name of all) {
        const words = name.split(" ");
        if (words.length < 2 || words.length > 4 || name.length > 40) problems.push(`${name}: length`);
        if (words.some((word, i) => !(i > 0 && i < words.length - 1 && MINOR.has(word.toLowerCase())) && word[0] !== word[0]!.toUpperCase()))
          problems.push(`${name}: not Title Case`);
        if (hasDoubledWord(name)) problems.push(`${name}: a word twice`);
        if (isBlocked(name) || /[{}:]/.test(name)) problems.push(`${name}: blocked or templated`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("writes taglines that fit 90 characters with any word of the topic, are not repeated or near-repeated, and only use {noun}, {nouns} and {Noun}", () => {
    const wordsOf = new Map<string, string[]>();
    for (const entry of [...IMAGENET_ENTRIES, ...DETECTOR_ENTRIES.values()]) wordsOf.set(entry.topic.id, [...(wordsOf.get(entry.topic.id) ?? []), entry.words]);
    const problems: string[] = [];
    for (const topic of TOPICS) {
      const longest = [topic.nouns ?? `${topic.noun}es`, ...(topic.sayTopic ? [] : (wordsOf.get(topic.id) ?? []))].sort((a, b) => b.length - a.length)[0]!;
      const shapes = new Set<string>();
      for (const line of topic.taglines) {
        if (/[{}]/.test(line.replace(/\{(noun|nouns|Noun)\}/g, ""))) problems.push(`${topic.id}: "${line}" has an unknown slot`);
        if (line.replace(/\{(noun|nouns|Noun)\}/g, longest).length > 90) problems.push(`${topic.id}: "${line}" is over 90 characters with "${longest}"`);
        if (isBlocked(line)) problems.push(`${topic.id}: "${line}" is blocked`);
        const shape = line
          .toLowerCase()
          .replace(/[^a-z{} ]/g, "")
          .trim();
        if (shapes.has(shape)) problems.push(`${topic.id} repeats "${line}"`);
        shapes.add(shape);
      }
      for (const a of shapes) for (const b of shapes) if (a !== b && b.startsWith(a)) problems.push(`${topic.id}: "${b}" only extends "${a}"`);
    }
    expect(problems).toEqual([]);
  });

  it("gives every ImageNet class and every detector label an everyday word and a topic", () => {
    expect(IMAGENET_ENTRIES).toHaveLength(1000);
    for (const [index, entry] of IMAGENET_ENTRIES.entries()) {
      expect(entry, `class ${index}`).toBeDefined();
      expect(entry.label).toBe(IMAGENET_CLASSES[index]!.split(",")[0]!.trim());
      expect(entry.topic).not.toBe(MYSTERY);
      expect(isBlocked(entry.word), entry.word).toBe(false);
      // The table's "+" only matters where the word differs from the label.
      if (entry.word.toLowerCase() === entry.label.toLowerCase()) expect(entry.fit).toBe(true);
    }
    for (const label of COCO_LABELS) expect(DETECTOR_ENTRIES.get(label), label).toBeDefined();
    // The words people use, not the taxonomy.
    const wordFor = (label: string) => IMAGENET_ENTRIES[indexOf(label)]!.word;
    expect([
      wordFor("Egyptian cat"),
      wordFor("tabby"),
      wordFor("bicycle-built-for-two"),
      wordFor("moped"),
      wordFor("espresso"),
      wordFor("agama"),
      wordFor("library"),
    ]).toEqual(["cat", "cat", "tandem bike", "scooter", "coffee", "lizard", "library"]);
    expect(IMAGENET_ENTRIES[indexOf("Egyptian cat")]!.fit).toBe(false);
    expect(IMAGENET_ENTRIES[indexOf("golden retriever")]!.fit).toBe(true);
  });

  it("writes names for some things only for things of their topic, and leaves each topic enough names for anything in it", () => {
    const wordsOf = new Map<string, Set<string>>();
    for (const entry of [...IMAGENET_ENTRIES, ...DETECTOR_ENTRIES.values()])
      wordsOf.set(entry.topic.id, new Set([...(wordsOf.get(entry.topic.id) ?? []), entry.word.toLowerCase()]));
    const problems: string[] = [];
    for (const topic of TOPICS) {
      const known = new Set([...(wordsOf.get(topic.id) ?? []), topic.noun.toLowerCase()]);
      for (const [name, words] of topic.only)
        for (const word of words) if (!known.has(word)) problems.push(`${topic.id}: "${name}" is for "${word}", which is not in the topic`);
      const general = (kind: "playful" | "clear" | "cozy") => topic[kind].filter((name) => !topic.only.has(name)).length;
      if (general("playful") < 5 || general("clear") < 5 || general("cozy") < 4) problems.push(`${topic.id}: too few names that fit anything in it`);
    }
    expect(problems).toEqual([]);
  });

  it("has frames that read with any word", () => {
    for (const kind of Object.values(FRAMES)) for (const frame of [...kind.any, ...kind.oneWord]) expect(frame).toMatch(/\{Ns?\}/);
    expect(article("owl")).toBe("an");
    expect(article("unicorn")).toBe("a");
    expect(article("hour")).toBe("an");
  });
});

describe("naming a photo", () => {
  const everyClass = IMAGENET_ENTRIES.map((entry, index) => ({ entry, scene: mergeConcepts([guess(index, 0.9), guess(index === 0 ? 1 : 0, 0.05)], [], 0) }));

  it("names every one of the 1,000 classes by the rules (and every fifth in each style): 10 names, unique keys and taglines, no raw unfit class name, no doubled word", () => {
    const problems: string[] = [];
    for (const [index, { entry, scene }] of everyClass.entries()) {
      for (const style of index % 5 === 0 ? [undefined, ...STYLE_NAMES] : [undefined])
        problems.push(...problemsIn(nameScene(scene, style), style, scene).map((problem) => `${entry.label} (${style ?? "default"}): ${problem}`));
    }
    expect(problems).toEqual([]);
  });

  it("is deterministic: the same photo always gets the same names", () => {
    const scene = sceneOf([["espresso", 0.9]]);
    expect(nameScene(scene)).toEqual(nameScene(scene));
    expect(nameScene(scene, "cozy", "our office")).toEqual(nameScene(scene, "cozy", "our office"));
  });

  it("says the word people use, and most names come from the photo's topic", () => {
    const cat = sceneOf(
      [
        ["Egyptian cat", 0.65],
        ["tabby", 0.22],
        ["tiger cat", 0.11],
      ],
      [{ label: "dog", score: 0.5, area: 0.9 }],
      1,
    );
    const catNames = nameScene(cat);
    expect(text(catNames)).not.toMatch(/egyptian|tabby|tiger|dog|bark|woof/i);
    expect(text(catNames)).toMatch(/\bcats?\b/i);
    const cats = topicById("cats");
    expect(names(catNames).filter((name) => [...cats.playful, ...cats.clear, ...cats.cozy].includes(name)).length).toBeGreaterThanOrEqual(6);

    expect(text(nameScene(sceneOf([["bicycle-built-for-two", 0.9]])))).toMatch(/tandem bike/i);
    expect(text(nameScene(sceneOf([["bicycle-built-for-two", 0.9]])))).not.toMatch(/built-for-two/i);
    expect(
      text(
        nameScene(
          sceneOf([
            ["moped", 0.92],
            ["motor scooter", 0.06],
          ]),
        ),
      ),
    ).toMatch(/scooter/i);
    expect(names(nameScene(sceneOf([["moped", 0.92]])))).not.toContain("Only Mopeds");
    const library = nameScene(sceneOf([["library", 0.98]]));
    expect(text(library)).toMatch(/\bbooks?\b/i);
    expect(text(library)).not.toMatch(/library library|landmark|walking tour/i);
    expect(text(nameScene(sceneOf([["ostrich", 0.95]])))).not.toMatch(/blanket fort/i);
    expect(text(nameScene(sceneOf([["espresso", 0.96]])))).not.toMatch(/espresso briefing/i);
  });

  it("goes broader when the guesses disagree: a bowl of ice cream that might be guacamole is a dish, and the guesses come last, as guesses", () => {
    const scene = sceneOf(
      [
        ["ice cream", 0.34],
        ["guacamole", 0.25],
        ["potpie", 0.12],
        ["mashed potato", 0.05],
        ["trifle", 0.04],
      ],
      [{ label: "bowl", score: 0.32, area: 0.3 }],
    );
    const { reading, suggestions } = planNames(scene);
    expect(reading.subject.level).toBe("topic");
    expect(reading.subject.topic.id).toBe("food");
    expect(names(suggestions).slice(0, 9).join(" ")).not.toMatch(/ice cream|guacamole|potato|potpie|pie/i);
    expect(suggestions[9]!.name).toMatch(/\?$/);
    expect(suggestions[9]!.name).toMatch(/ice cream/i);
  });

  it("names what the guesses share: five dog breeds, none sure, are a dog", () => {
    const scene = sceneOf([
      ["Norfolk terrier", 0.1],
      ["Great Pyrenees", 0.09],
      ["Sussex spaniel", 0.07],
      ["Lakeland terrier", 0.06],
      ["kuvasz", 0.05],
    ]);
    const { reading, suggestions } = planNames(scene);
    expect(reading.subject).toMatchObject({ level: "topic", word: "dog" });
    expect(suggestions.filter((s) => /\bdogs?\b/i.test(`${s.name} ${s.description}`)).length).toBeGreaterThanOrEqual(7);
  });

  it("never makes an unsure guess the subject: nothing sure is named for its colour, with a second look", () => {
    const scene = {
      ...sceneOf([
        ["window shade", 0.06],
        ["envelope", 0.05],
      ]),
      palette: { mean: [40, 80, 190] as [number, number, number], spread: 20, hues: [0, 0, 0, 0, 0, 0, 0.1, 0.5, 0.1, 0, 0, 0], light: 0, dark: 0 },
    };
    const { reading, suggestions } = planNames(scene);
    expect(reading.subject.level).toBe("none");
    expect(text(suggestions)).toMatch(/\bBlue\b/);
    expect(names(suggestions).slice(0, 9).join(" ")).not.toMatch(/window|envelope/i);
  });

  it("names a portrait for the person and what else is surely in the frame, never 'Selfie' or 'Person'", () => {
    const astronaut = sceneOf(
      [
        ["drumstick", 0.28],
        ["barbell", 0.1],
        ["crash helmet", 0.08],
        ["drum", 0.04],
        ["shield", 0.04],
      ],
      [{ label: "person", score: 0.62, area: 0.69 }],
      1,
    );
    const portrait = nameScene(astronaut);
    expect(text(portrait)).not.toMatch(/\bselfies?\b|\bperson\b|\bdrums?\b|barbell|helmet/i);
    const dressedUp = sceneOf(
      [
        ["suit", 0.3],
        ["Windsor tie", 0.2],
        ["bow tie", 0.15],
      ],
      [
        { label: "person", score: 0.9, area: 0.4 },
        { label: "person", score: 0.8, area: 0.3 },
      ],
    );
    const { reading } = planNames(dressedUp);
    expect(reading.subject.level).toBe("people");
    expect(reading.others.map((other) => other.topic.id)).toContain("fashion");
  });

  it("keeps the rules in every style for photos named broadly, for people and for nothing sure", () => {
    const broad = sceneOf([
      ["ice cream", 0.34],
      ["guacamole", 0.25],
      ["potpie", 0.12],
    ]);
    const vehicle = sceneOf([
      ["tow truck", 0.3],
      ["beach wagon", 0.1],
      ["airliner", 0.1],
      ["canoe", 0.08],
    ]);
    const people = sceneOf(
      [
        ["suit", 0.2],
        ["jersey", 0.1],
      ],
      [{ label: "person", score: 0.9, area: 0.5 }],
      1,
    );
    const nothing = sceneOf([
      ["window shade", 0.06],
      ["envelope", 0.05],
    ]);
    const problems = [broad, vehicle, people, nothing].flatMap((scene) =>
      [undefined, ...STYLE_NAMES].flatMap((style) => problemsIn(nameScene(scene, style), style, scene)),
    );
    expect(problems).toEqual([]);
  });

  it("keeps blocked words out and the topic in", () => {
    const suggestions = nameScene(sceneOf([["assault rifle", 0.9]]));
    expect(JSON.stringify(suggestions).toLowerCase()).not.toContain("rifle");
    expect(readScene(sceneOf([["assault rifle", 0.9]])).subject.topic.id).toBe("history");
  });

  it("leads with the caller's purpose: a dog for a hiking club gets trail names with the dog in one", () => {
    const lab = mergeConcepts([guess(208, 0.73), guess(205, 0.22)], [{ label: "dog", score: 0.35, area: 0.8 }], 0);
    const hikingNames = PURPOSES.find((purpose) => purpose.id === "hiking")!.names.map((name) =>
      titleCase(name.replace("{Ss}", "Labradors").replace("{S}", "Labrador")),
    );
    const hiking = names(nameScene(lab, undefined, "names for my hiking club"));
    expect(
      hiking.slice(0, 4).every((name) => hikingNames.includes(name)),
      hiking.join(", "),
    ).toBe(true);
    expect(hiking.slice(0, 4).some((name) => name.includes("Labrador"))).toBe(true);
    expect(names(nameScene(lab)).filter((name) => hikingNames.includes(name))).toEqual([]);
  });
});

describe("styles", () => {
  const subjects = ["espresso", "Labrador retriever", "tabby", "pizza", "mountain bike", "acoustic guitar", "seashore", "castle", "goldfinch", "teddy"].map(
    (label) => sceneOf([[label, 0.9]]),
  );
  const byStyle = (style?: Style) => subjects.map((scene) => nameScene(scene, style));
  const meanLength = (lists: Suggestion[][]) => lists.flat().reduce((sum, s) => sum + s.name.length, 0) / (lists.length * 10);

  it("short is one or two words of at most 16 characters; the others are measurably different from each other", () => {
    for (const list of byStyle("short")) for (const { name } of list) expect(name.split(" ").length <= 2 && name.length <= 16, name).toBe(true);
    expect(meanLength(byStyle("short"))).toBeLessThan(meanLength(byStyle("playful")));
    expect(meanLength(byStyle("playful"))).toBeLessThan(meanLength(byStyle("cozy")));
    // Each style draws on its own part of the lexicon: at most a fifth of its names are another style's.
    for (const [a, b] of [
      ["playful", "professional"],
      ["playful", "cozy"],
      ["professional", "cozy"],
    ] as const) {
      const first = byStyle(a)
        .flat()
        .map((s) => s.name);
      const second = new Set(
        byStyle(b)
          .flat()
          .map((s) => s.name),
      );
      expect(first.filter((name) => second.has(name)).length / first.length, `${a} and ${b}`).toBeLessThanOrEqual(0.2);
    }
  });

  it("playful, professional and cozy names come from the topic's playful, clear and cozy lists (and frames of the same kind)", () => {
    const coffee = topicById("coffee");
    const frame = (kind: "playful" | "clear" | "cozy", name: string) =>
      [...FRAMES[kind].any, ...FRAMES[kind].oneWord].some((f) => f.replace("{N}", "Coffee").replace("{Ns}", "Coffee") === name);
    const check = (style: Style, kind: "playful" | "clear" | "cozy") => {
      const picked = names(nameScene(sceneOf([["espresso", 0.96]]), style));
      expect(picked.filter((name) => coffee[kind].includes(name) || frame(kind, name)).length, `${style}: ${picked.join(", ")}`).toBeGreaterThanOrEqual(8);
    };
    check("playful", "playful");
    check("professional", "clear");
    check("cozy", "cozy");
  });
});

describe("concept merging", () => {
  it("lets people lead when they fill the photo and the classifier is unsure", () => {
    const scene = mergeConcepts(
      [guess(indexOf("suit"), 0.3), guess(indexOf("jersey"), 0.1)],
      [
        { label: "person", score: 0.9, area: 0.4 },
        { label: "person", score: 0.8, area: 0.3 },
      ],
      0,
    );
    expect(scene.people).toBe(2);
    expect(scene.labels.map((l) => l.label)).toEqual(["people", "suit", "jersey"]);
  });

  it("keeps the classifier's ranking when it is confident", () => {
    const scene = mergeConcepts(
      [guess(indexOf("espresso"), 0.85)],
      [
        { label: "cup", score: 0.7, area: 0.3 },
        { label: "person", score: 0.9, area: 0.02 },
      ],
      0,
    );
    expect(scene.labels.map((l) => l.label)).toEqual(["espresso", "coffee cup"]);
    expect(scene.people).toBe(1);
  });

  it("never lets a detector box rename what the classifier agrees on: three cat breeds beat a 0.7 'dog' box", () => {
    const cats = [guess(indexOf("tabby"), 0.18), guess(indexOf("tiger cat"), 0.16), guess(indexOf("Egyptian cat"), 0.12)];
    const scene = mergeConcepts(cats, [{ label: "dog", score: 0.7, area: 0.5 }], 0);
    expect(scene.labels.slice(0, 3).map((l) => l.label)).toEqual(["tabby", "tiger cat", "Egyptian cat"]);
    expect(readScene(scene).subject).toMatchObject({ word: "cat" });
    expect(readScene(scene).subject.topic.id).toBe("cats");
  });

  it("keeps all five classifier labels when people are added in front", () => {
    const five = ["suit", "jersey", "bow tie", "Windsor tie", "lab coat"].map((label, i) => guess(indexOf(label), 0.3 - i * 0.05));
    const scene = mergeConcepts(five, [{ label: "person", score: 0.9, area: 0.5 }], 1);
    expect(scene.labels.map((l) => l.label)).toEqual(["person", "suit", "jersey", "bow tie", "Windsor tie", "lab coat"]);
  });

  it("uses the detector alone when there is no classifier, counting faces as people", () => {
    const scene = mergeConcepts([], [{ label: "dog", score: 0.8, area: 0.5 }], 3);
    expect(scene.concepts[0]).toMatchObject({ label: "dog", word: "dog" });
    expect(scene.concepts[0]!.topic.id).toBe("dogs");
    expect(scene.people).toBe(3);
  });

  it("reports at most 5 labels with rounded scores, and labels it does not know keep their own word", () => {
    const many = ["a1", "b2", "c3", "d4", "e5", "f6"].map((label, i) => ({ synonyms: [label], score: 0.5 - i * 0.05 }));
    const scene = mergeConcepts(many, [], 0);
    expect(scene.labels).toHaveLength(5);
    expect(scene.labels[0]).toEqual({ label: "a1", score: 0.5 });
    expect(scene.concepts[0]).toMatchObject({ word: "a1", topic: MYSTERY });
    expect(nameScene(scene)).toHaveLength(10);
  });
});
