import { purposesIn } from "./purposes.js";
import { createHash } from "node:crypto";
import pluralize from "pluralize";
import { isBlocked, normaliseSuggestions, DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, SUGGESTION_COUNT } from "../../domain/suggestions.js";
import type { Suggestion } from "../../domain/types.js";
import { GENERIC_THEME, type Theme } from "./themes.js";
import type { Style } from "../instructions.js";
import {
  ALLITERATION, ALTERNATIVE_DESCRIPTIONS, COLOURS, GENERAL_DESCRIPTIONS, PAIR_DESCRIPTIONS, PAIR_PATTERNS, HEDGED_DESCRIPTIONS, PARENT_DESCRIPTIONS, SUBJECT_PATTERNS, UNCERTAIN_DESCRIPTIONS, UNCERTAIN_NAMES, type NamePattern,
} from "./patterns.js";
import rhymeTable from "./rhymes.json" with { type: "json" };
import { synset } from "./wordnet.js";

/** Something the local models saw, with the theme it belongs to. */
export interface Concept {
  label: string;
  score: number;
  source: "classifier" | "detector" | "faces";
  theme: Theme;
  /** The WordNet synset it means, when known: gives a broader word and a gloss. */
  sense?: number;
}

/** Mean colour (sRGB) and its spread over the photo. */
export interface Palette {
  mean: [number, number, number];
  spread: number;
}

export interface Scene {
  /** Best first. */
  concepts: Concept[];
  /** People the detector found (persons or confident faces, whichever is more). */
  people: number;
  palette?: Palette;
}

const MINOR_WORDS = new Set(["a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"]);

/** Deterministic choices: the same scene always gets the same names. */
function seededRandom(seed: string) {
  let state = createHash("md5").update(seed).digest().readUInt32LE(0) || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Title Case: every word capitalised except minor words inside the name ("Birds of a Feather", "Plugged In"). */
export function titleCase(text: string): string {
  const words = text.split(/\s+/).filter(Boolean);
  return words
    .map((word, index) =>
      index > 0 && index < words.length - 1 && MINOR_WORDS.has(word.toLowerCase())
        ? word.toLowerCase()
        : word
            .split("-")
            .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
            .join("-"),
    )
    .join(" ");
}


/** "black and gold garden spider" → "garden spider": short enough for a name of at most 4 words. */
export function shortSubject(label: string): string {
  const words = label.split(/\s+/);
  if (words.length <= 2 && label.length <= 22) return label;
  const lastTwo = words.slice(-2).join(" ");
  if (!MINOR_WORDS.has(words.at(-2)!.toLowerCase()) && lastTwo.length <= 22) return lastTwo;
  return words.at(-1)!;
}

function plural(label: string): string {
  const words = label.split(" ");
  words[words.length - 1] = pluralize(words.at(-1)!);
  return words.join(" ");
}

function fill(template: string, subject: string): string {
  const subjects = plural(subject);
  return template
    .replaceAll("{Subjects}", subjects.charAt(0).toUpperCase() + subjects.slice(1))
    .replaceAll("{subjects}", subjects)
    .replaceAll("{subject}", subject)
    .replaceAll("{Subject}", subject.charAt(0).toUpperCase() + subject.slice(1))
    .replace(/\b([Aa]) ([aeiouAEIOU])/g, "$1n $2");
}


/** A name frame filled with a subject: "{S} Lovers" → "Cat Lovers", "All About {Ss}" → "All About Cats". */
function frame(pattern: string, subject: string): string {
  const title = titleCase(subject);
  return pattern.replaceAll("{Ss}", titleCase(plural(subject))).replaceAll("{S}", title);
}

function wordCount(name: string): number {
  return name.split(/\s+/).filter(Boolean).length;
}

type Kind = "context" | "subject" | "curated" | "rhyme" | "alliterative" | "parent" | "secondary" | "people" | "uncertain";

interface Candidate {
  name: string;
  kind: Kind;
  formal?: boolean;
  cozy?: boolean;
  /** A description written for this name; otherwise one is dealt from the photo's deck. */
  description?: string;
}

const PLAYFUL_KINDS = new Set<Kind>(["curated", "rhyme", "alliterative"]);

function peopleWord(people: number): string {
  if (people <= 1) return "selfie";
  return people === 2 ? "duo" : "crew";
}

/** The subject of the photo: the best concept whose name we are happy to print. */
function primary(scene: Scene): { label: string; theme: Theme; concept?: Concept } {
  for (const concept of scene.concepts) {
    // People photos are named for the company, not the word "person".
    if (concept.theme.id === "people") return { label: peopleWord(scene.people), theme: concept.theme, concept };
    if (!isBlocked(concept.label)) return { label: concept.label, theme: concept.theme, concept };
    // A label we won't print still tells us the theme, when it has one.
    if (concept.theme !== GENERIC_THEME) return { label: concept.theme.noun, theme: concept.theme };
  }
  return { label: "photo", theme: GENERIC_THEME };
}

/**
 * Whether the models agree enough to name the photo for its subject: the classifier's guesses in
 * the subject's theme add up (breeds of one dog share their probability), or a detector or people
 * finding is clear.
 */
function isConfident(scene: Scene, theme: Theme): boolean {
  const lead = scene.concepts[0];
  if (!lead) return false;
  if (lead.source !== "classifier") return lead.score >= 0.5 || scene.people > 0;
  const themeMass = scene.concepts.filter((c) => c.source === "classifier" && (c.theme === theme || c.label === lead.label)).reduce((sum, c) => sum + c.score, 0);
  return themeMass >= 0.25 || lead.score >= 0.2;
}

/** Words too broad to say anything about a subject ("a kind of artifact"). */
const VAGUE_PARENTS = new Set([
  "entity", "object", "whole", "artifact", "artefact", "organism", "being", "thing", "device", "instrumentality", "container", "structure",
  "covering", "commodity", "implement", "equipment", "unit", "matter", "substance", "solid", "food", "nutrient", "article", "creation",
  "product", "system", "means", "way", "part", "piece", "region", "location", "area", "material", "instrument", "mechanism", "furnishing",
]);

/** A broader everyday word for the concept (its nearest WordNet hypernym with a short, specific name). */
function parentWord(concept: Concept | undefined): string | undefined {
  if (concept?.sense === undefined) return undefined;
  for (const parent of synset(concept.sense).hypernyms.map(synset)) {
    const word = parent.words.find((w) => /^[a-z][a-z -]*$/.test(w) && w.length <= 18 && wordCount(w) <= 2);
    if (word && !VAGUE_PARENTS.has(word) && word.toLowerCase() !== concept.label.toLowerCase() && !isBlocked(word)) return word;
  }
  return undefined;
}

/** "Tench: freshwater dace-like game fish of Europe and western Asia": what WordNet says the subject is. */
function glossDescription(concept: Concept | undefined, subject: string): string | undefined {
  if (concept?.sense === undefined) return undefined;
  const gloss = synset(concept.sense)
    .gloss.split(";")[0]!
    .replace(/\([^)]*\)/g, "")
    .replace(/["`]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  if (!gloss || /[<>{}]/.test(gloss)) return undefined;
  const text = `${subject.charAt(0).toUpperCase()}${subject.slice(1)}: ${gloss}`;
  return text.length <= DESCRIPTION_MAX_LENGTH ? text : undefined;
}

function colourName(palette: Palette | undefined): string {
  if (!palette) return "grey";
  const [r, g, b] = palette.mean;
  let best = COLOURS[0]!;
  let bestDistance = Infinity;
  for (const colour of COLOURS) {
    const distance = (colour.rgb[0] - r) ** 2 + (colour.rgb[1] - g) ** 2 + (colour.rgb[2] - b) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [colour, distance];
  }
  return best.name;
}

function rhymesFor(subject: string): string[] {
  const last = subject.split(/\s+/).at(-1)!.toLowerCase();
  return (rhymeTable as Record<string, string[]>)[last] ?? [];
}

/** Orders candidates for a requested style; "professional" also drops the puns. The rules still apply after. */
function styled(candidates: Candidate[], style: Style | undefined): Candidate[] {
  const first = (test: (c: Candidate) => boolean) => [...candidates.filter(test), ...candidates.filter((c) => !test(c))];
  switch (style) {
    case "playful":
      return first((c) => PLAYFUL_KINDS.has(c.kind));
    case "short":
      return first((c) => wordCount(c.name) <= 2);
    case "cozy":
      return first((c) => Boolean(c.cozy));
    case "professional":
      return first((c) => Boolean(c.formal)).filter((c) => !PLAYFUL_KINDS.has(c.kind) && c.kind !== "uncertain");
    default:
      return candidates;
  }
}

/**
 * Concepts → exactly 10 suggestions. Each photo draws from large pools (name frames, the theme's
 * curated names, rhymes from the CMU dictionary, alliteration, a broader WordNet word, a second
 * concept) with a seed from what it shows, so the same photo always gets the same names while
 * different photos rarely share a frame. Descriptions name the subject (or, for an uncertain
 * photo, the colour and the best guess), and one may quote WordNet's gloss of it.
 */
export function nameScene(scene: Scene, style?: Style, context?: string): Suggestion[] {
  const { label, theme, concept } = primary(scene);
  const random = seededRandom(`${label}|${theme.id}|${scene.people}|${scene.concepts.map((c) => c.label).join(",")}${context ? `|${context}` : ""}`);
  const pick = <T>(items: readonly T[]): T[] => shuffled(items, random);
  const nameSubject = shortSubject(label);
  const subject = label.length > 30 ? shortSubject(label) : label;
  const confident = isConfident(scene, theme);
  const isPeople = theme.id === "people";

  const patterns = pick(SUBJECT_PATTERNS);
  const subjectName = (pattern: NamePattern, who = nameSubject): Candidate => ({ name: frame(pattern.text, who), kind: "subject", formal: pattern.formal, cozy: pattern.cozy });
  const curated = pick(theme === GENERIC_THEME ? [] : theme.names).map((name): Candidate => ({ name, kind: "curated" }));
  const rhymes = pick(rhymesFor(nameSubject)).map((word): Candidate => ({ name: `${titleCase(nameSubject)} ${titleCase(word)}`, kind: "rhyme" }));
  const alliterative = pick(ALLITERATION[nameSubject.charAt(0).toLowerCase()] ?? []).map((word): Candidate => ({ name: `${titleCase(nameSubject)} ${word}`, kind: "alliterative" }));
  const parent = isPeople ? undefined : parentWord(concept);

  // ImageNet has no "person": beside people its guesses are mostly noise, so demand more of them.
  const classifierFloor = isPeople ? 0.6 : 0.1;
  const secondary = scene.concepts.find(
    (c) =>
      c.label.toLowerCase() !== label.toLowerCase() &&
      // "dog" beside a Tibetan terrier says nothing new: the theme already covers it.
      c.label.toLowerCase() !== theme.noun &&
      c.theme.id !== "people" &&
      !isBlocked(c.label) &&
      // "cliff" beside "cliff dwelling" is the same thing again.
      !sharesWord(c.label, label) &&
      (c.source === "detector" ? c.score >= 0.5 : c.score >= classifierFloor),
  );

  const candidates: Candidate[] = [];
  if (confident) {
    const extras: Candidate[] = [];
    if (secondary) {
      const second = shortSubject(secondary.label);
      const [pairDescription, otherDescription] = pick(PAIR_DESCRIPTIONS).map((text) => fill(text.replaceAll("{second}", second), subject));
      extras.push({ name: pick(PAIR_PATTERNS)[0]!.replace("{S}", titleCase(nameSubject)).replace("{T}", titleCase(second)), kind: "secondary", description: pairDescription });
      extras.push({ ...subjectName(patterns.pop()!, second), kind: "secondary", description: otherDescription });
    }
    // A hesitant classifier: its other guesses get a room each, said as guesses.
    const lead = scene.concepts[0];
    if (lead?.source === "classifier" && lead.score < 0.5) {
      const alternatives = scene.concepts.filter((c) => c !== secondary && c.source === "classifier" && c.score >= 0.05 && !isBlocked(c.label) && !sharesWord(c.label, label));
      pick(ALTERNATIVE_DESCRIPTIONS)
        .slice(0, 2)
        .forEach((text, i) => {
          const alternative = alternatives[i];
          if (alternative) extras.push({ ...subjectName(patterns.pop()!, shortSubject(alternative.label)), kind: "secondary", description: fill(text.replaceAll("{second}", alternative.label), subject) });
        });
    }
    if (scene.people >= 3) extras.push({ name: "Squad Goals", kind: "people", description: "Group chats, plans and photos for the whole crew" });
    else if (scene.people === 1 && isPeople) extras.push({ name: "Portrait Mode", kind: "people", description: "Portraits, profiles and the stories behind them" });
    if (parent) extras.push({ ...subjectName(patterns.pop()!, parent), kind: "parent", description: fill(pick(PARENT_DESCRIPTIONS)[0]!.replace("{parent}", parent), subject) });
    // The first ten: about four frames, three curated names, a rhyme or alliteration, the extras; then reserves.
    // People photos lean on the curated names: "Duo Obsessed" says little about friends in a photo.
    const playful = [rhymes[0] ?? alliterative[0], ...curated.slice(0, isPeople ? 7 : 3)].filter((c): c is Candidate => Boolean(c));
    const frames = patterns.map((pattern) => subjectName(pattern));
    const firstFrames = isPeople ? 2 : Math.max(3, 10 - playful.length - extras.length);
    candidates.push(...interleave(pick([...playful.slice(0, 10 - firstFrames - extras.length), ...extras]), frames.slice(0, firstFrames)), ...playful);
    candidates.push(...frames.slice(firstFrames), ...curated.slice(isPeople ? 7 : 3), ...rhymes.slice(1), ...alliterative);
  } else {
    // Not sure what it is: say so, name the look of the photo, and hedge on the best guesses.
    const colour = colourName(scene.palette);
    const colourTitle = titleCase(colour);
    const uncertain = pick(UNCERTAIN_NAMES).map((text): Candidate => ({ name: text.replaceAll("{Colour}", colourTitle), kind: "uncertain" }));
    const uncertainDescriptions = pick(UNCERTAIN_DESCRIPTIONS).map((text) => text.replaceAll("{colour}", colour));
    const hedges = pick(HEDGED_DESCRIPTIONS);
    const guesses = scene.concepts.filter((c) => !isBlocked(c.label) && c.theme.id !== "people").slice(0, 3);
    candidates.push(...uncertain.slice(0, 5).map((c, i) => ({ ...c, description: uncertainDescriptions[i] })));
    guesses.forEach((guess, i) => {
      candidates.push({ ...subjectName(patterns[i]!, shortSubject(guess.label)), description: fill(hedges[i % hedges.length]!, guess.label.length > 30 ? shortSubject(guess.label) : guess.label) });
    });
    candidates.push(...patterns.slice(guesses.length).map((pattern) => subjectName(pattern)), ...uncertain.slice(5));
  }

  // The caller's purpose leads: up to four of its names, the photo's subject in them where they ask for it.
  const purposes = purposesIn(context);
  const contextual: Candidate[] = purposes.flatMap((purpose) => {
    const descriptions = pick(purpose.descriptions).map((text) => text.replaceAll("{subject}", subject));
    return pick(purpose.names).map((text, i) => ({ name: text.replaceAll("{S}", titleCase(nameSubject)), kind: "context" as const, formal: true, description: descriptions[i % descriptions.length] }));
  });
  const ordered = [...contextual.slice(0, 4), ...styled(candidates, style), ...contextual.slice(4)];

  const gloss = confident ? glossDescription(concept, subject) : undefined;
  const deck = [...(gloss ? [gloss] : []), ...interleave(pick(theme.descriptions), pick(GENERAL_DESCRIPTIONS)).map((text) => fill(text, subject))];
  const accepted: { name: string; description: string }[] = [];
  const usedDescriptions = new Set<string>();
  for (const candidate of ordered) {
    const name = titleCase(candidate.name);
    const words = wordCount(name);
    if (words < 2 || words > 4 || name.length > NAME_MAX_LENGTH || isBlocked(name)) continue;
    if (accepted.some((other) => other.name.toLowerCase() === name.toLowerCase())) continue;
    const own = candidate.description;
    const usable = (text: string | undefined) => text !== undefined && text.length <= DESCRIPTION_MAX_LENGTH && !isBlocked(text) && !usedDescriptions.has(text);
    const description = usable(own) ? own! : deck.find(usable);
    if (!description) continue;
    usedDescriptions.add(description);
    accepted.push({ name, description });
    if (accepted.length === SUGGESTION_COUNT) break;
  }
  // Same validation as any provider's output: exactly 10, unique keys, clean text.
  return normaliseSuggestions({ suggestions: accepted });
}

function sharesWord(a: string, b: string): boolean {
  const words = new Set(a.toLowerCase().split(/\s+/).map((word) => pluralize.singular(word)));
  return b.toLowerCase().split(/\s+/).some((word) => words.has(pluralize.singular(word)));
}

/** a1, b1, a2, b2, …: spreads two kinds of entry through a list. */
function interleave<T>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]!);
    if (i < b.length) out.push(b[i]!);
  }
  return out;
}
