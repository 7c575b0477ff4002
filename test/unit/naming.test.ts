import { describe, expect, it } from "vitest";
import { slugify } from "../../shared/domain/suggestions.js";
import { mergeConcepts, themeOf } from "../../shared/vision/local/concepts.js";
import { nameScene, shortSubject, titleCase, type Concept } from "../../shared/vision/local/naming.js";
import { GENERIC_THEME } from "../../shared/vision/local/themes.js";

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

  it("mixes styles: plain, playful from the theme, community, alliterative", () => {
    const names = nameScene(scenes[0]!).map((s) => s.name);
    expect(names).toContain("Espresso Lovers");
    expect(names.filter((name) => themeOf(["espresso"]).names.includes(name)).length).toBeGreaterThanOrEqual(3);
    expect(names.some((name) => /^Espresso E\w+$/.test(name))).toBe(true);
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
    expect(playful.slice(0, 4).every((name) => curated.includes(name))).toBe(true);
    const professional = nameScene(scene, "professional").map((s) => s.name);
    expect(professional.filter((name) => curated.includes(name))).toEqual([]);
    const short = nameScene(scene, "short").map((s) => s.name);
    expect(short.filter((name) => name.split(" ").length <= 2).length).toBeGreaterThanOrEqual(8);
    const cozy = nameScene(scene, "cozy").map((s) => s.name);
    expect(cozy.slice(0, 2)).toEqual(["Espresso Nook", "Cozy Espresso Corner"]);
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
