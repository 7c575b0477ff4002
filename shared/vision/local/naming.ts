import { createHash } from "node:crypto";
import pluralize from "pluralize";
import { normaliseSuggestions, DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, SUGGESTION_COUNT } from "../../domain/suggestions.js";
import type { Suggestion } from "../../domain/types.js";
import { BLOCKED_WORDS, GENERIC_THEME, type Theme } from "./themes.js";
import type { Style } from "../instructions.js";

/** Something the local models saw, with the theme it belongs to. */
export interface Concept {
  label: string;
  score: number;
  source: "classifier" | "detector" | "faces";
  theme: Theme;
}

export interface Scene {
  /** Best first. */
  concepts: Concept[];
  /** People the detector found (persons or confident faces, whichever is more). */
  people: number;
}

const MINOR_WORDS = new Set(["a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"]);

/** Alliterative collective nouns, by first letter. */
const ALLITERATION: Record<string, string[]> = {
  a: ["Alliance", "Assembly", "Aficionados"], b: ["Bunch", "Banter", "Brigade"], c: ["Corner", "Crew", "Collective"],
  d: ["Den", "Digest", "District"], e: ["Enthusiasts", "Exchange"], f: ["Forum", "Fellowship", "Fans"],
  g: ["Gang", "Gathering", "Guild"], h: ["Hangout", "Hub", "Huddle"], i: ["Insiders", "Inn"], j: ["Junction", "Jamboree"],
  k: ["Kingdom", "Klub"], l: ["Lounge", "League"], m: ["Meetup", "Mania"], n: ["Nook", "Network", "Nation"],
  o: ["Outpost", "Order"], p: ["Parlor", "Posse", "Pals"], q: ["Quarters"], r: ["Roundtable", "Rally"],
  s: ["Society", "Squad", "Social"], t: ["Talk", "Table", "Tribe"], u: ["Union"], v: ["Village", "Vibes"],
  w: ["Watch", "World"], y: ["Yard"], z: ["Zone"],
};

const COMMUNITY_WORDS = ["Club", "Society", "Fan Club", "Collective", "Circle"];

/** Style-specific one-liners; with the theme's own and the generic ones there are always 10+ distinct. */
const STYLE_DESCRIPTIONS = {
  plain: "A welcoming room for {subject} lovers of every kind",
  community: "Meetups, photos and news for the {subject} community",
  alliterative: "Talk about the {subject}, from first encounters to favourite facts",
  secondary: "Spotted a {subject} in the picture? This room is for it",
  daily: "A daily dose of {subject} photos, finds and chat",
  group: "Group chats, plans and photos for the whole crew",
  portrait: "Portraits, profiles and the stories behind them",
};

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

export function isBlocked(text: string): boolean {
  const lower = text.toLowerCase();
  for (const blocked of BLOCKED_WORDS) {
    if (new RegExp(`\\b${blocked.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(lower)) return true;
  }
  return false;
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
    .replace(/\b([Aa]) ([aeiouAEIOU])/g, "$1n $2");
}

function wordCount(name: string): number {
  return name.split(/\s+/).filter(Boolean).length;
}

interface Candidate {
  name: string;
  description: string;
}

function peopleWord(people: number): string {
  if (people <= 1) return "selfie";
  return people === 2 ? "duo" : "crew";
}

/** The subject of the photo: the best concept whose name we are happy to print. */
function primary(scene: Scene): { label: string; theme: Theme } {
  for (const concept of scene.concepts) {
    // People photos are named for the company, not the word "person".
    if (concept.theme.id === "people") return { label: peopleWord(scene.people), theme: concept.theme };
    if (!isBlocked(concept.label)) return { label: concept.label, theme: concept.theme };
    // A label we won't print still tells us the theme.
    return { label: concept.theme.noun, theme: concept.theme };
  }
  return { label: "photo", theme: GENERIC_THEME };
}

/** Reorders (and for "professional" replaces) candidates to suit a requested style; the rules still apply after. */
function styled(
  candidates: Candidate[],
  style: Style | undefined,
  context: { nameSubject: string; subject: string; theme: Theme; nextDescription: () => string },
): Candidate[] {
  const { nameSubject, subject, theme, nextDescription } = context;
  const isPlayful = (candidate: Candidate) => theme.names.includes(candidate.name) || GENERIC_THEME.names.includes(candidate.name);
  const words = (candidate: Candidate) => wordCount(candidate.name);
  switch (style) {
    case "playful":
      return [...candidates.filter(isPlayful), ...candidates.filter((c) => !isPlayful(c))];
    case "short":
      return [...candidates.filter((c) => words(c) <= 2), ...candidates.filter((c) => words(c) > 2)];
    case "cozy":
      return [
        { name: `${nameSubject} Nook`, description: fill("A cozy nook for {subject} fans to unwind and chat", subject) },
        { name: `Cozy ${nameSubject} Corner`, description: fill("Warm chats and friendly faces around the {subject}", subject) },
        ...candidates,
      ];
    case "professional":
      return [
        ...candidates.filter((c) => !isPlayful(c)),
        ...["Forum", "Network", "Discussion", "Community", "Exchange", "Roundtable"].map((word) => ({ name: `${nameSubject} ${word}`, description: nextDescription() })),
      ];
    default:
      return candidates;
  }
}

/**
 * Concepts → exactly 10 suggestions in distinct styles: plain, playful (the theme's curated names),
 * community, alliterative, theme-level, a second concept, and the scene (groups, portraits).
 * Every description names the subject or its theme, so the room is recognisably about this photo.
 */
export function nameScene(scene: Scene, style?: Style): Suggestion[] {
  const { label, theme } = primary(scene);
  const random = seededRandom(`${label}|${theme.id}|${scene.people}|${scene.concepts.map((c) => c.label).join(",")}`);
  const nameSubject = titleCase(shortSubject(label));
  const subject = label.length > 30 ? shortSubject(label) : label;

  const descriptions = shuffled(theme.descriptions, random);
  const generic = shuffled(GENERIC_THEME.descriptions, random);
  let descriptionIndex = 0;
  const used = new Set<string>();
  const nextDescription = () => {
    const pool = [...descriptions, ...generic];
    while (descriptionIndex < pool.length) {
      const candidate = fill(pool[descriptionIndex++]!, subject);
      if (!used.has(candidate)) return candidate;
    }
    return fill(STYLE_DESCRIPTIONS.daily, subject);
  };

  const playful = shuffled(theme === GENERIC_THEME ? GENERIC_THEME.names : [...theme.names], random);
  const initial = nameSubject.charAt(0).toLowerCase();
  const alliterative = ALLITERATION[initial] ?? ALLITERATION.c!;
  const community = COMMUNITY_WORDS[Math.floor(random() * COMMUNITY_WORDS.length)]!;

  // ImageNet has no "person": beside people its guesses are mostly noise, so demand more of them.
  const classifierFloor = theme.id === "people" ? 0.6 : 0.1;
  const secondary = scene.concepts.find(
    (concept) =>
      concept.label.toLowerCase() !== label.toLowerCase() &&
      // "dog" beside a Tibetan terrier says nothing new: the theme already covers it.
      concept.label.toLowerCase() !== theme.noun &&
      concept.theme.id !== "people" &&
      !isBlocked(concept.label) &&
      (concept.source === "detector" ? concept.score >= 0.5 : concept.score >= classifierFloor),
  );

  const candidates: Candidate[] = [
    { name: `${nameSubject} Lovers`, description: nextDescription() },
    { name: playful[0] ?? `${nameSubject} Chat`, description: nextDescription() },
    { name: `${nameSubject} ${community}`, description: fill(STYLE_DESCRIPTIONS.community, subject) },
    { name: `${nameSubject} ${alliterative[Math.floor(random() * alliterative.length)]!}`, description: fill(STYLE_DESCRIPTIONS.alliterative, subject) },
    { name: playful[1] ?? `${nameSubject} Hangout`, description: nextDescription() },
    {
      name: theme !== GENERIC_THEME && theme.title.toLowerCase() !== nameSubject.toLowerCase() ? `${theme.title} Talk` : `All Things ${nameSubject}`,
      description: nextDescription(),
    },
  ];
  if (secondary) {
    candidates.push({ name: `${titleCase(shortSubject(secondary.label))} Corner`, description: fill(STYLE_DESCRIPTIONS.secondary, secondary.label) });
  }
  if (scene.people >= 3) candidates.push({ name: "Squad Goals", description: STYLE_DESCRIPTIONS.group });
  else if (scene.people === 1 && theme.id === "people") candidates.push({ name: "Portrait Mode", description: STYLE_DESCRIPTIONS.portrait });
  candidates.push(
    { name: playful[2] ?? `${nameSubject} Fans`, description: nextDescription() },
    { name: `Daily ${nameSubject}`, description: fill(STYLE_DESCRIPTIONS.daily, subject) },
    { name: playful[3] ?? `${nameSubject} Stories`, description: nextDescription() },
    { name: `${nameSubject} Appreciation`, description: fill(STYLE_DESCRIPTIONS.plain, subject) },
    ...playful.slice(4).map((name) => ({ name, description: nextDescription() })),
    { name: `${nameSubject} Spotters`, description: nextDescription() },
    { name: `${nameSubject} Central`, description: nextDescription() },
    { name: `The ${nameSubject} Hub`, description: nextDescription() },
  );

  const accepted: Candidate[] = [];
  for (const candidate of styled(candidates, style, { nameSubject, subject, theme, nextDescription })) {
    const name = titleCase(candidate.name);
    const words = wordCount(name);
    if (words < 2 || words > 4 || name.length > NAME_MAX_LENGTH) continue;
    if (candidate.description.length > DESCRIPTION_MAX_LENGTH) continue;
    if (isBlocked(name) || isBlocked(candidate.description)) continue;
    if (accepted.some((other) => other.name.toLowerCase() === name.toLowerCase() || other.description === candidate.description)) continue;
    used.add(candidate.description);
    accepted.push({ name, description: candidate.description });
    if (accepted.length === SUGGESTION_COUNT) break;
  }
  // Same validation as any provider's output: exactly 10, unique keys, clean text.
  return normaliseSuggestions({ suggestions: accepted });
}
