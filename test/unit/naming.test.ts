import { describe, expect, it } from "vitest";
import { slugify } from "../../shared/domain/suggestions.js";
import { mergeConcepts, themeOf } from "../../shared/vision/local/concepts.js";
import { nameScene, shortSubject, titleCase, type Concept } from "../../shared/vision/local/naming.js";
import { GENERIC_THEME } from "../../shared/vision/local/themes.js";
import { SUBJECT_PATTERNS } from "../../shared/vision/local/patterns.js";

function classified(label: string, score = 0.9, isAnimalClass = false): Concept {
  return { label, score, source: "classifier", theme: themeOf([label], isAnimalClass) };
}

const MINOR = new Set(["a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"]);

const scenes = [
  { concepts: [classified("espresso")], people: 0 },
  { concepts: [classified("Labrador retriever", 0.8, true), classified("golden retriever", 0.1, true)], people: 0 },
  { concepts: [classified("tench", 0.99, true)], people: 0 },
  { concepts: [classified("black and gold garden spider", 0.7, true)], people: 0 },
  { concepts: [classified("airliner")], people: 0 },
  { concepts: [classified("volcano")], people: 0 },
  { concepts: [classified("abacus")], people: 0 },
  { concepts: [{ label: "people", score: 0.9, source: "detector", theme: themeOf(["person"]) } as Concept], people: 4 },
  { concepts: [], people: 0 },
];

describe("theme lexicon through WordNet", () => {
  it("puts every dog breed under dogs, fish under the sea, espresso under coffee", () => {
    expect(themeOf(["Labrador retriever"], true).id).toBe("dogs");
    expect(themeOf(["Tibetan mastiff"], true).id).toBe("dogs");
    expect(themeOf(["tench", "Tinca tinca"], true).id).toBe("sea");
    expect(themeOf(["espresso"], false).id).toBe("coffee");
    expect(themeOf(["airliner"], false).id).toBe("aviation");
    expect(themeOf(["cup"], false).id).toBe("coffee");
  });

  it("tells the crane bird from the crane machine by the class's kind", () => {
    expect(themeOf(["crane"], true).id).toBe("birds");
    expect(themeOf(["crane"], false).id).not.toBe("birds");
    expect(themeOf(["crane"], false).id).not.toBe("people");
  });

  it("falls back to the generic theme for unknown words", () => {
    expect(themeOf(["zzqxv unknown thing"], false)).toBe(GENERIC_THEME);
  });
});

describe("naming engine rules", () => {
  it.each(scenes.map((scene, index) => [index, scene] as const))("scene %i: 10 unique, well-formed, safe names", (_, scene) => {
    const suggestions = nameScene(scene);
    expect(suggestions).toHaveLength(10);
    expect(new Set(suggestions.map((s) => s.name.toLowerCase())).size).toBe(10);
    expect(new Set(suggestions.map((s) => s.key)).size).toBe(10);
    expect(new Set(suggestions.map((s) => s.description)).size).toBe(10);
    for (const { name, key, description } of suggestions) {
      const words = name.split(" ");
      expect(words.length, name).toBeGreaterThanOrEqual(2);
      expect(words.length, name).toBeLessThanOrEqual(4);
      expect(name.length, name).toBeLessThanOrEqual(40);
      expect(description.length, description).toBeLessThanOrEqual(90);
      expect(key).toBe(slugify(name));
      words.forEach((word, i) => {
        if (i > 0 && i < words.length - 1 && MINOR.has(word)) return;
        expect(word[0], `${name}: "${word}" should be capitalised`).toBe(word[0]!.toUpperCase());
      });
      expect(`${name} ${description}`).not.toMatch(/https?:|www\.|[<>{}]/);
    }
  });

  it("is deterministic and specific to the photo", () => {
    expect(nameScene(scenes[0]!)).toEqual(nameScene(scenes[0]!));
    const coffee = nameScene(scenes[0]!).map((s) => s.name);
    const dog = nameScene(scenes[1]!).map((s) => s.name);
    expect(coffee.filter((name) => dog.includes(name))).toEqual([]);
  });

  it("mixes kinds of name: frames around the subject, the theme's curated names, alliteration or a rhyme", () => {
    const names = nameScene(scenes[0]!).map((s) => s.name);
    expect(names.filter((name) => name.includes("Espresso")).length).toBeGreaterThanOrEqual(3);
    expect(names.filter((name) => themeOf(["espresso"]).names.includes(name)).length).toBeGreaterThanOrEqual(2);
    expect(names.some((name) => /^Espresso E\w+$/.test(name))).toBe(true);
    // Rhymes from the CMU dictionary (shared/vision/local/rhymes.json), on the subject's last word.
    expect(nameScene({ concepts: [classified("Egyptian cat", 0.8, true)], people: 0 }).map((s) => s.name)).toContain("Egyptian Cat Chat");
    expect(nameScene({ concepts: [classified("beaver", 0.9, true)], people: 0 }).map((s) => s.name)).toContain("Beaver Fever");
  });

  it("does not read as a template: over many subjects no frame appears on more than a quarter of them", () => {
    const subjects = ["tench", "goldfish", "great white shark", "cock", "hen", "ostrich", "goldfinch", "robin", "bald eagle", "vulture", "great grey owl", "loggerhead", "common iguana", "green lizard", "African crocodile", "tarantula", "scorpion", "peacock", "flamingo", "pelican", "king penguin", "grey whale", "sea lion", "Chihuahua", "beagle", "bloodhound", "golden retriever", "Labrador retriever", "Siberian husky", "pug", "tabby", "Persian cat", "lion", "tiger", "brown bear", "ladybug", "bee", "ant", "monarch", "starfish", "hamster", "zebra", "hippopotamus", "llama", "panda", "airliner", "canoe", "convertible", "espresso", "pizza", "ice cream", "banana", "volcano", "valley", "daisy", "acoustic guitar", "laptop", "backpack", "castle", "lighthouse"];
    const counts = new Map<string, number>();
    for (const label of subjects) {
      const words = new Set(label.toLowerCase().split(" "));
      const shapes = new Set(nameScene({ concepts: [classified(label, 0.9, true)], people: 0 }).map((s) => s.name.toLowerCase().split(" ").map((w) => (words.has(w) || words.has(w.replace(/s$/, "")) ? "{}" : w)).join(" ")));
      for (const shape of shapes) counts.set(shape, (counts.get(shape) ?? 0) + 1);
    }
    const [shape, count] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    expect(count / subjects.length, shape).toBeLessThanOrEqual(0.25);
  });

  it("says so honestly when nothing is recognised with confidence: colour and mood, hedged guesses", () => {
    const scene = { concepts: [classified("window shade", 0.06), classified("envelope", 0.05)], people: 0, palette: { mean: [40, 80, 190] as [number, number, number], spread: 20 } };
    const suggestions = nameScene(scene);
    const text = suggestions.map((s) => `${s.name} ${s.description}`).join(" ");
    expect(text).toMatch(/\bBlue\b/);
    expect(suggestions.filter((s) => /guess|maybe|not sure|hard to say|looks a bit like|is it a/i.test(s.description)).length).toBeGreaterThanOrEqual(3);
    expect(text).not.toMatch(/Photo Lovers|Window Shade Lovers/);
  });

  it("names group photos for the company, never 'Person Lovers'", () => {
    const names = nameScene(scenes[7]!).map((s) => s.name);
    expect(names.join(" ")).not.toMatch(/Person/);
    expect(names).toContain("Squad Goals");
  });

  it("never prints a blocked label but keeps its theme", () => {
    const suggestions = nameScene({ concepts: [classified("assault rifle")], people: 0 });
    expect(JSON.stringify(suggestions).toLowerCase()).not.toContain("rifle");
  });

  it("follows a requested style and keeps every rule", () => {
    const scene = scenes[0]!;
    const curated = themeOf(["espresso"]).names;
    const playful = nameScene(scene, "playful").map((s) => s.name);
    expect(playful.slice(0, 3).every((name) => curated.includes(name) || /^Espresso E\w+$/.test(name))).toBe(true);
    const professional = nameScene(scene, "professional").map((s) => s.name);
    expect(professional.filter((name) => curated.includes(name))).toEqual([]);
    const formalFrames = SUBJECT_PATTERNS.filter((pattern) => pattern.formal).map((pattern) => pattern.text.replace("{S}", "Espresso"));
    expect(professional.slice(0, 5).every((name) => formalFrames.includes(name))).toBe(true);
    const short = nameScene(scene, "short").map((s) => s.name);
    expect(short.filter((name) => name.split(" ").length <= 2).length).toBeGreaterThanOrEqual(8);
    const cozyFrames = SUBJECT_PATTERNS.filter((pattern) => pattern.cozy).map((pattern) => pattern.text.replace("{S}", "Espresso"));
    const cozy = nameScene(scene, "cozy").map((s) => s.name);
    expect(cozy.slice(0, 2).every((name) => cozyFrames.includes(name))).toBe(true);
    for (const style of ["playful", "professional", "short", "cozy"] as const) {
      const suggestions = nameScene(scenes[1]!, style);
      expect(new Set(suggestions.map((s) => s.key)).size).toBe(10);
      expect(suggestions.every((s) => s.name.length <= 40 && s.description.length <= 90)).toBe(true);
    }
  });

  it("shortens long labels for names and title-cases them", () => {
    expect(shortSubject("black and gold garden spider")).toBe("garden spider");
    expect(shortSubject("espresso")).toBe("espresso");
    expect(titleCase("birds of a feather")).toBe("Birds of a Feather");
    expect(titleCase("plugged in")).toBe("Plugged In");
  });
});

describe("concept merging", () => {
  const classifications = [
    { synonyms: ["suit"], score: 0.3 },
    { synonyms: ["jersey"], score: 0.1 },
  ];

  it("lets people lead when they fill the photo and the classifier is unsure", () => {
    const scene = mergeConcepts(classifications, [{ label: "person", score: 0.9, area: 0.4 }, { label: "person", score: 0.8, area: 0.3 }], 0);
    expect(scene.people).toBe(2);
    expect(scene.labels[0]!.label).toBe("people");
    expect(scene.labels.map((l) => l.label)).toEqual(["people", "suit", "jersey"]);
  });

  it("keeps the classifier's ranking when it is confident", () => {
    const scene = mergeConcepts([{ synonyms: ["espresso"], score: 0.85 }], [{ label: "cup", score: 0.7, area: 0.3 }, { label: "person", score: 0.9, area: 0.02 }], 0);
    expect(scene.labels.map((l) => l.label)).toEqual(["espresso", "coffee cup"]);
    expect(scene.people).toBe(1);
  });

  it("never lets a detector box rename what the classifier agrees on: three cat breeds beat a 0.7 'dog' box", () => {
    const cats = [{ synonyms: ["tabby", "tabby cat"], score: 0.18, isAnimalClass: true }, { synonyms: ["tiger cat"], score: 0.16, isAnimalClass: true }, { synonyms: ["Egyptian cat"], score: 0.12, isAnimalClass: true }];
    const scene = mergeConcepts(cats, [{ label: "dog", score: 0.7, area: 0.5 }], 0);
    expect(scene.concepts[0]!.label).toBe("tabby");
    expect(scene.labels.slice(0, 3).map((l) => l.label)).toEqual(["tabby", "tiger cat", "Egyptian cat"]);
  });

  it("keeps all five classifier labels when people are added in front", () => {
    const five = ["suit", "jersey", "bow tie", "Windsor tie", "lab coat"].map((label, i) => ({ synonyms: [label], score: 0.3 - i * 0.05 }));
    const scene = mergeConcepts(five, [{ label: "person", score: 0.9, area: 0.5 }], 1);
    expect(scene.labels.map((l) => l.label)).toEqual(["person", "suit", "jersey", "bow tie", "Windsor tie", "lab coat"]);
  });

  it("uses the detector alone when there is no classifier, counting faces as people", () => {
    const scene = mergeConcepts([], [{ label: "dog", score: 0.8, area: 0.5 }], 3);
    expect(scene.concepts[0]!.label).toBe("dog");
    expect(scene.concepts[0]!.theme.id).toBe("dogs");
    expect(scene.people).toBe(3);
  });

  it("reports at most 5 labels with rounded scores", () => {
    const many = ["a1", "b2", "c3", "d4", "e5", "f6"].map((label, i) => ({ synonyms: [label], score: 0.5 - i * 0.05 }));
    const scene = mergeConcepts(many, [], 0);
    expect(scene.labels).toHaveLength(5);
    expect(scene.labels[0]).toEqual({ label: "a1", score: 0.5 });
  });
});
