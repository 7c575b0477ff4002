import { createHash } from "node:crypto";
import pluralize from "pluralize";
import { DESCRIPTION_MAX_LENGTH, isBlocked, NAME_MAX_LENGTH, normalizeSuggestions, slugify, SUGGESTION_COUNT } from "../../domain/suggestions.js";
import type { Suggestion } from "../../domain/types.js";
import type { Style } from "../../domain/styles.js";
import { COLOR_FRAMES, COLOR_TAGLINES, COLORS, FRAMES, HEDGE_FRAMES, HEDGE_TAGLINES } from "./lexicon/frames.js";
import { purposesIn } from "./purposes.js";
import { fits, lineage, MYSTERY, PEOPLE, PORTRAITS, type Topic } from "./themes.js";

/** Something the local models saw, with what the names call it (lexicon/classes.ts). */
export interface Concept {
  /** The model's own label, printed in `labels` only. */
  label: string;
  score: number;
  source: "classifier" | "detector" | "faces";
  topic: Topic;
  /** The everyday word ("cat" for an Egyptian cat) and its plural. */
  word: string;
  words: string;
  /** The label itself reads fine in a room name. */
  fit: boolean;
  /** Share of the photo a detector box covers. */
  area?: number;
}

/** The photo's colours: the mean (sRGB), its spread, and how much of it is each hue. */
export interface Palette {
  mean: [number, number, number];
  spread: number;
  /** Share of all pixels that are clearly coloured, by hue in 30° steps from red (12 entries). */
  hues?: number[];
  /** Share of near-white and near-black pixels. */
  light?: number;
  dark?: number;
}

export interface Scene {
  /** Best first. */
  concepts: Concept[];
  /** People the detector found (persons or confident faces, whichever is more). */
  people: number;
  palette?: Palette;
}

/**
 * What the names are about. `thing`: the models agree on the thing (its everyday word);
 * `topic`: they agree only on what their guesses share (a dog, a reptile, a vehicle), named by
 * the topic's noun; `people`: the company in the photo; `none`: nothing is sure.
 */
export interface Subject {
  word: string;
  words: string;
  topic: Topic;
  level: "thing" | "topic" | "people" | "none";
}

export interface Reading {
  subject: Subject;
  /** Other things surely in the photo (a clear detector box, the company): a name each. */
  others: Subject[];
  /** The best guesses, when the subject is broader than they are: said last, and as guesses. */
  guesses: { word: string; words: string }[];
  /** The photo's colour, when it has a clear one and the subject is not a sure thing. */
  color?: string;
}

/**
 * How sure is sure, calibrated on the 250 dev photos (npm run eval reports how often the named
 * subject is wrong). The classifier's guesses for one everyday word add up (three cat breeds are a
 * cat); from 0.5 the word is the true class's on 96 % of the photos, while between 0.4 and 0.5 it
 * is right only two times in three. Below that, the names go to the topic the guesses share.
 */
export const THING_SURE = 0.5;
export const TOPIC_SURE = 0.5;
/** …or at least this much, when it is AGREED_TOPIC_SHARE of what all the guesses add up to. */
const AGREED_TOPIC_MIN = 0.2;
const AGREED_TOPIC_SHARE = 0.8;
/** A detector box is sure at this confidence, when it covers at least MIN_BOX_AREA of the photo. */
export const BOX_SURE = 0.6;
const MIN_BOX_AREA = 0.05;
/** How much of an agreeing detector box's confidence adds to the classifier's word or topic. */
const BOX_AGREEMENT = 0.5;
/** A box names something else in the photo (a second subject) only from this confidence. */
const OTHER_BOX_SURE = 0.7;
/** A hue is the photo's colour when this share of its pixels has it. */
const COLOR_SHARE = 0.25;

const MINOR_WORDS = new Set(["a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to", "with"]);

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
      index > 0 && index < words.length - 1 && MINOR_WORDS.has(word.toLowerCase()) ? word.toLowerCase() : word.charAt(0).toUpperCase() + word.slice(1),
    )
    .join(" ");
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "a" or "an" before a word, as far as its spelling tells ("an owl", "a unicorn", "an hour"). */
export function article(word: string): "a" | "an" {
  const lower = word.toLowerCase();
  if (/^(hour|honest|heir)/.test(lower)) return "an";
  if (/^(uni|use|usu|eu|one|once)/.test(lower)) return "a";
  return /^[aeiou]/.test(lower) ? "an" : "a";
}

/** A template with a word in it; "a {noun}" becomes "an owl" where it should. */
function fillTagline(template: string, word: string, words: string): string {
  return template
    .replace(/\b([Aa])n? (?=\{(?:noun|Noun|colour|subject)\})/g, (_, a: string) => `${a === "A" ? capitalize(article(word)) : article(word)} `)
    .replaceAll("{Noun}", capitalize(word))
    .replaceAll("{nouns}", words)
    .replaceAll("{noun}", word)
    .replaceAll("{colour}", word)
    .replaceAll("{subject}", word);
}

/** The content words of a name, singular and lower case: "Cats and Cat" has one twice. */
function splitContentWords(name: string): string[] {
  return name
    .toLowerCase()
    .split(/[^a-z0-9']+/)
    .filter((word) => word && !MINOR_WORDS.has(word))
    .map((word) => pluralize.singular(word));
}

export function hasDoubledWord(name: string): boolean {
  const words = splitContentWords(name);
  return new Set(words).size !== words.length;
}

function wordCount(name: string): number {
  return name.split(/\s+/).filter(Boolean).length;
}

function topicWeights(concepts: Concept[]): Map<Topic, number> {
  const mass = new Map<Topic, number>();
  for (const concept of concepts) {
    if (concept.topic === MYSTERY) continue;
    for (const topic of lineage(concept.topic)) mass.set(topic, (mass.get(topic) ?? 0) + concept.score);
  }
  return mass;
}

/**
 * The deepest topic the guesses surely share (a reptile before an animal; the larger share on a
 * tie): its share of the photo reaches TOPIC_SURE, or it is the share of nearly all the guesses
 * (five dog breeds at 0.06 each are surely a dog).
 */
function sureTopic(mass: Map<Topic, number>, total: number): Topic | undefined {
  let best: { topic: Topic; depth: number; mass: number } | undefined;
  for (const [topic, share] of mass) {
    if (share < TOPIC_SURE && (share < AGREED_TOPIC_MIN || share < AGREED_TOPIC_SHARE * total)) continue;
    const depth = lineage(topic).length;
    if (!best || depth > best.depth || (depth === best.depth && share > best.mass)) best = { topic, depth, mass: share };
  }
  return best?.topic;
}

function topicSubject(topic: Topic): Subject {
  return { word: topic.noun, words: topic.nouns ?? pluralize(topic.noun), topic, level: "topic" };
}

/** Hue ranges (degrees) and their names, for a photo's colour. */
const HUE_NAMES: [number, string][] = [
  [10, "red"],
  [40, "orange"],
  [70, "yellow"],
  [160, "green"],
  [195, "teal"],
  [255, "blue"],
  [295, "purple"],
  [340, "pink"],
  [360, "red"],
];

/**
 * The named colour of a palette: the hue of the richest 60° of its coloured pixels, when they
 * are a good share of the photo (or mostly white, or mostly black); none for a muddle.
 */
export function colorOf(palette: Palette | undefined): string | undefined {
  const hues = palette?.hues;
  if (!hues?.length) return undefined;
  let best = { share: 0, hue: 0 };
  for (let bin = 0; bin < hues.length; bin++) {
    const next = (bin + 1) % hues.length;
    const share = hues[bin]! + hues[next]!;
    // Bin k is centred on 30k degrees.
    if (share > best.share) best = { share, hue: ((30 * bin * hues[bin]! + 30 * (bin + 1) * hues[next]!) / share) % 360 };
  }
  if (best.share >= COLOR_SHARE) return HUE_NAMES.find(([limit]) => best.hue < limit)![1];
  if ((palette!.dark ?? 0) >= 0.5) return "charcoal";
  if ((palette!.light ?? 0) >= 0.5) return "white";
  return undefined;
}

/** The broadest topic above a topic (animals for a goldfinch). */
function rootOf(topic: Topic): Topic {
  return lineage(topic).at(-1)!;
}

/**
 * The classifier's guesses grouped by everyday word, most likely first: Egyptian cat, tabby and
 * tiger cat are all a cat; a detector box with the same word ("cat") is a second opinion.
 */
export function wordMasses(scene: Scene): { concept: Concept; mass: number }[] {
  const boxes = scene.concepts.filter((c) => c.source === "detector");
  const byWord = new Map<string, { concept: Concept; mass: number }>();
  for (const guess of scene.concepts) {
    if (guess.source !== "classifier" || guess.topic === MYSTERY || isBlocked(guess.word)) continue;
    const key = `${guess.word.toLowerCase()}|${guess.topic.id}`;
    const entry = byWord.get(key);
    if (entry) entry.mass += guess.score;
    else byWord.set(key, { concept: guess, mass: guess.score });
  }
  for (const entry of byWord.values()) {
    const same = boxes.filter((box) => box.word.toLowerCase() === entry.concept.word.toLowerCase());
    entry.mass += BOX_AGREEMENT * Math.max(0, ...same.map((box) => box.score));
  }
  return [...byWord.values()].sort((a, b) => b.mass - a.mass);
}

/** What the photo is surely about, what else is surely in it, and what is only a guess. */
export function readScene(scene: Scene): Reading {
  const guesses = scene.concepts.filter((c) => c.source === "classifier");
  const boxes = scene.concepts.filter((c) => c.source === "detector" && c.topic !== PEOPLE && c.topic !== MYSTERY);
  const clearBoxes = boxes.filter((c) => c.score >= BOX_SURE && (c.area ?? 0) >= MIN_BOX_AREA);
  const company: Subject | undefined =
    scene.people > 0
      ? scene.people === 1
        ? { word: PORTRAITS.noun, words: "portraits", topic: PORTRAITS, level: "people" }
        : { word: PEOPLE.noun, words: "friends", topic: PEOPLE, level: "people" }
      : undefined;
  const peopleLead = scene.concepts[0]?.topic === PEOPLE;

  const ranked = wordMasses(scene);
  const best = ranked[0];

  let subject: Subject;
  if (best && best.mass >= THING_SURE) {
    subject = { word: best.concept.word, words: best.concept.words, topic: best.concept.topic, level: "thing" };
  } else if (peopleLead && company) {
    subject = company;
  } else {
    // A box that names a guess or a broader word for it ("dog" beside dog breeds) counts for the topic; a clear box counts on its own.
    const agreeing = boxes
      .filter(
        (box) =>
          !clearBoxes.includes(box) &&
          guesses.some((guess) =>
            [guess.word, ...lineage(guess.topic).map((topic) => topic.noun)].some((word) => word.toLowerCase() === box.word.toLowerCase()),
          ),
      )
      .map((box) => ({ ...box, score: BOX_AGREEMENT * box.score }));
    // The classifier's own agreement comes first: a clear "dog" box never turns cat breeds into a dog.
    const shared = (evidence: Concept[]) =>
      sureTopic(
        topicWeights(evidence),
        evidence.reduce((sum, c) => sum + c.score, 0),
      );
    const topic = shared([...guesses, ...agreeing]) ?? shared([...guesses, ...clearBoxes, ...agreeing]);
    subject = topic ? topicSubject(topic) : { word: MYSTERY.noun, words: "photos", topic: MYSTERY, level: "none" };
  }

  const others: Subject[] = [];
  const isNew = (topic: Topic) => !others.some((other) => other.topic === topic) && (subject.level === "none" || rootOf(topic) !== rootOf(subject.topic));
  if (subject.level === "people") {
    // What else is in the frame: the classifier's sure topic besides the people, clear boxes.
    const around = sureTopic(
      topicWeights(guesses),
      guesses.reduce((sum, c) => sum + c.score, 0),
    );
    if (around && isNew(around)) others.push(topicSubject(around));
  }
  for (const box of clearBoxes)
    if (others.length < 2 && box.score >= OTHER_BOX_SURE && isNew(box.topic))
      others.push({ word: box.word, words: box.words, topic: box.topic, level: "thing" });
  if (company && subject.level !== "people" && scene.people >= 2 && others.length < 2) others.push(company);

  // Beside people, the classifier's guesses are mostly about clothes and props: no hedging on those.
  const hedged: { word: string; words: string; topic: Topic }[] = [];
  if (subject.level === "topic" || subject.level === "none") {
    for (const { concept } of ranked) {
      if (concept.score < 0.05 || concept.word.toLowerCase() === subject.word.toLowerCase()) continue;
      // "Python or Snake?" says one thing twice: a second guess must be about something else.
      if (hedged.some((h) => h.word === concept.word || h.topic === concept.topic)) continue;
      hedged.push({ word: concept.word, words: concept.words, topic: concept.topic });
      if (hedged.length === 2) break;
    }
  }
  const broad = subject.level === "none" || subject.level === "people" || (subject.level === "topic" && !subject.topic.parentTopic);
  return { subject, others, guesses: hedged.map(({ word, words }) => ({ word, words })), color: broad ? colorOf(scene.palette) : undefined };
}

type Kind = "playful" | "clear" | "cozy";
type Wanted = Kind | "short" | "any";

/** Taglines in the order a photo uses them, how far it has got, and the words they say. */
interface Deck {
  lines: string[];
  at: number;
  says: string[];
}

/** Names for one slot of the list, drawn in a photo's own order, each with its tagline deck. */
interface Pool {
  next(): string | undefined;
  deck(): Deck;
}

/** Remembers answers for text the lexicon repeats on every photo (its names, its filled taglines), up to a bound. */
function memo<T>(compute: (key: string) => T, bound = 20_000): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      if (cache.size >= bound) cache.clear();
      value = compute(key);
      cache.set(key, value);
    }
    return value;
  };
}
const blocked = memo(isBlocked);
const doubled = memo(hasDoubledWord);
const contentWords = memo(splitContentWords);

/** A tagline set filled with one word, split into the lines that say it and the rest. */
const filledTaglines = memo((key: string) => {
  const [source, word, words] = key.split("\u0000") as [string, string, string];
  const templates = taglineSources.get(source)!;
  const pattern = new RegExp(`\\b(${[word, words].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})\\b`, "i");
  const lines = templates.map((line) => fillTagline(line, word, words)).filter((line) => line.length <= DESCRIPTION_MAX_LENGTH && !blocked(line));
  return { own: lines.filter((line) => pattern.test(line)), general: lines.filter((line) => !pattern.test(line)) };
});
const taglineSources = new Map<string, readonly string[]>([
  ["colour", COLOR_TAGLINES],
  ["hedge", HEDGE_TAGLINES],
]);

/**
 * A tagline set in the order a photo uses it: the lines that say the photo's word first (they
 * tell which room is about this photo), each part in the photo's own order.
 */
function deckOf(source: string, templates: readonly string[], word: string, words: string, random: () => number): Deck {
  taglineSources.set(source, templates);
  const { own, general } = filledTaglines(`${source}\u0000${word}\u0000${words}`);
  return { lines: [...shuffled(own, random), ...shuffled(general, random)], at: 0, says: contentWords(`${word} ${words}`) };
}

function frameName(frame: string, word: string, words: string): string {
  return frame.replaceAll("{Ns}", titleCase(words)).replaceAll("{N}", titleCase(word));
}

const STYLE_KINDS: Record<Style, Kind | "short"> = { playful: "playful", professional: "clear", cozy: "cozy", short: "short" };

function isShort(name: string): boolean {
  return wordCount(name) <= 2 && name.length <= 16;
}

/**
 * Concepts → exactly 10 suggestions, and what they are about. Most names come from the photo's
 * topic in the lexicon (written by hand: "Brew Crew", "Purr Club"), two from frames around its
 * everyday word ("Cat People"), one or two from what else is surely in the frame (a second thing,
 * the company). When the models are unsure, the names go broader instead of guessing: the topic
 * their guesses share, the photo's colour, and the guesses last, said as guesses. The same scene
 * always gets the same names.
 */
export function planNames(scene: Scene, style?: Style, context?: string): { reading: Reading; suggestions: Suggestion[] } {
  const reading = readScene(scene);
  const { subject, others, guesses, color } = reading;
  const random = seededRandom(
    `${subject.word}|${subject.topic.id}|${scene.people}|${scene.concepts.map((c) => c.label).join(",")}${context ? `|${context}` : ""}`,
  );
  const kind = style ? STYLE_KINDS[style] : undefined;
  const want: Wanted = kind ?? "any";

  const lazy = <T>(make: () => T) => {
    let value: { made: T } | undefined;
    return () => {
      value ??= { made: make() };
      return value.made;
    };
  };
  // Names written by hand keep their casing ("The A Team"); made ones are put in Title Case.
  const pool = (names: () => readonly string[], deck: () => Deck, made = false): Pool => {
    let queue: string[] | undefined;
    const next = () => {
      queue ??= shuffled(names(), random).map((name) => (made ? titleCase(name) : name));
      return queue.shift();
    };
    return { next, deck };
  };
  // A topic's names for a word: those that fit anything in it, and those written for that word.
  const namesOf = (topic: Topic, wanted: Wanted, word: string): readonly string[] => {
    const names = wanted === "playful" || wanted === "clear" || wanted === "cozy" ? topic[wanted] : [...topic.playful, ...topic.clear, ...topic.cozy];
    return names.filter((name) => fits(topic, name, word) && (wanted !== "short" || isShort(name)));
  };
  // A topic's taglines say the photo's word, or the topic's own noun where its things differ too much.
  const topicDeck = (topic: Topic, word: string, words: string) =>
    lazy(() =>
      topic.sayTopic
        ? deckOf(topic.id, topic.taglines, topic.noun, topic.nouns ?? pluralize(topic.noun), random)
        : deckOf(topic.id, topic.taglines, word, words, random),
    );
  const main = subject.topic;
  const mainDeck = topicDeck(main, subject.word, subject.words);
  const mainPool = (wanted: Wanted) => pool(() => namesOf(main, wanted, subject.word), mainDeck);
  const framesFor = (wanted: Wanted, word: string): string[] => {
    const kinds: Kind[] = wanted === "playful" || wanted === "clear" || wanted === "cozy" ? [wanted] : ["clear", "playful", "cozy"];
    return kinds.flatMap((k) => (word.includes(" ") ? FRAMES[k].any : [...FRAMES[k].any, ...FRAMES[k].oneWord]));
  };
  // No frames around object words, nor around the broadest nouns ("Team Vehicle").
  const framed = !main.noFrames && (subject.level === "thing" || main.parentTopic !== undefined);
  const anyFrames = (wanted: Wanted, word = subject.word, words = subject.words): Pool =>
    pool(() => framesFor(wanted, word).map((frame) => frameName(frame, word, words)), mainDeck, true);
  const framePool = (wanted: Wanted, word = subject.word, words = subject.words): Pool | undefined => (framed ? anyFrames(wanted, word, words) : undefined);
  const otherPool = (index: number, wanted: Wanted): Pool | undefined => {
    const other = others[index];
    return other && pool(() => namesOf(other.topic, wanted, other.word), topicDeck(other.topic, other.word, other.words));
  };
  const colorPool = lazy((): Pool | undefined => {
    if (!color) return undefined;
    const title = titleCase(color);
    const own = COLORS.find((c) => c.name === color)?.names ?? [];
    return pool(
      () => [...own, ...COLOR_FRAMES.map((frame) => frame.replaceAll("{Colour}", title))],
      lazy(() => deckOf("colour", COLOR_TAGLINES, color, color, random)),
    );
  });
  const hedgePool = (): Pool | undefined => {
    const [a, b] = guesses.map((guess) => titleCase(guess.word));
    if (!a) return undefined;
    const frames = b ? HEDGE_FRAMES.two.map((frame) => frame.replace("{A}", a).replace("{B}", b)) : HEDGE_FRAMES.one.map((frame) => frame.replace("{A}", a));
    return pool(
      () => frames,
      lazy(() => deckOf("hedge", HEDGE_TAGLINES, guesses[0]!.word, guesses[0]!.words, random)),
      true,
    );
  };

  // The slots of the list, in order: which pool each name is drawn from.
  const slots: (Pool | undefined)[] = [];
  if (subject.level === "thing" || subject.level === "topic") {
    const topicKinds: Wanted[] = kind ? Array(7).fill(kind) : ["playful", "clear", "cozy", "playful", "clear", "cozy", "playful"];
    const [p1, p2, p3, p4, p5, p6, p7] = topicKinds.map((wanted) => mainPool(wanted));
    const [f1, f2] = [framePool(kind ?? "clear"), framePool(kind ?? (random() < 0.5 ? "cozy" : "playful"))];
    slots.push(p1, p2, f1 ?? mainPool(kind ?? "clear"), p3, p4, otherPool(0, want) ?? p7, p5, f2 ?? mainPool(kind ?? "cozy"), p6);
    slots.push(subject.level === "topic" ? (hedgePool() ?? otherPool(1, want) ?? p7) : (otherPool(1, want) ?? p7));
  } else if (subject.level === "people") {
    slots.push(
      mainPool(kind ?? "playful"),
      mainPool(kind ?? "cozy"),
      otherPool(0, want),
      mainPool(kind ?? "clear"),
      colorPool(),
      mainPool(kind ?? "playful"),
      otherPool(1, want),
      mainPool(kind ?? "cozy"),
      mainPool(kind ?? "clear"),
      hedgePool(),
    );
  } else {
    slots.push(
      colorPool(),
      mainPool(kind ?? "playful"),
      mainPool(kind ?? "clear"),
      colorPool(),
      mainPool(kind ?? "cozy"),
      mainPool(kind ?? "playful"),
      mainPool(kind ?? "clear"),
      colorPool(),
      mainPool(kind ?? "cozy"),
      hedgePool(),
    );
  }
  // Reserves, in case the slots' pools run dry under the rules: the topic and the broader ones, then frames.
  const broader = lineage(main).slice(1);
  const withFrames = subject.level === "thing" || subject.level === "topic";
  const frameReserves = (wanted: Wanted) => (withFrames ? [framePool(wanted), framePool(wanted, main.noun, main.nouns ?? pluralize(main.noun))] : []);
  const reserves: Pool[] = [
    mainPool(want),
    ...broader.map((topic) => pool(() => namesOf(topic, want, topic.noun), topicDeck(topic, subject.word, subject.words))),
    ...frameReserves(want),
    mainPool("any"),
    ...broader.map((topic) => pool(() => namesOf(topic, "any", topic.noun), topicDeck(topic, subject.word, subject.words))),
    ...frameReserves("any"),
    // Last resorts, for a short style on a topic with few short names: frames after all, then a second look.
    ...(subject.level === "people" ? [] : [anyFrames(want)]),
    pool(
      () => namesOf(MYSTERY, want, MYSTERY.noun),
      lazy(() => deckOf(MYSTERY.id, MYSTERY.taglines, MYSTERY.noun, "photos", random)),
    ),
  ].filter((reserve): reserve is Pool => reserve !== undefined);

  const unfit = scene.concepts.filter((c) => !c.fit).map((c) => c.label.toLowerCase());
  const accepted: { name: string; deck: () => Deck }[] = [];
  const usedSlugs = new Set<string>();
  const acceptable = (name: string): boolean => {
    const words = wordCount(name);
    if (kind === "short" ? !isShort(name) : words < 2 || words > 4 || name.length > NAME_MAX_LENGTH) return false;
    if (blocked(name) || doubled(name) || usedSlugs.has(slugify(name))) return false;
    const lower = name.toLowerCase();
    return !unfit.some((label) => lower.includes(label));
  };
  const take = (from: Pool | undefined): boolean => {
    for (let name = from?.next(); name !== undefined; name = from!.next()) {
      if (!acceptable(name)) continue;
      accepted.push({ name, deck: from!.deck });
      usedSlugs.add(slugify(name));
      return true;
    }
    return false;
  };

  // The caller's purpose leads: up to four of its names, the photo's subject in them where they ask for it.
  const leading = purposesIn(context).map((purpose) =>
    pool(
      () =>
        purpose.names
          .filter((name) => !name.includes("{S") || subject.level === "thing" || subject.level === "topic")
          .map((name) => name.replaceAll("{Ss}", titleCase(subject.words)).replaceAll("{S}", titleCase(subject.word))),
      lazy(() => deckOf(`purpose:${purpose.id}`, purpose.descriptions, subject.word, subject.words, random)),
      true,
    ),
  );
  for (let i = 0; i < 4 && leading.length; i++) take(leading[i % leading.length]) || take(leading[0]);
  for (const slot of slots) {
    if (accepted.length === SUGGESTION_COUNT) break;
    // A slot whose own pool is empty draws from the reserves instead.
    if (!take(slot)) reserves.some((reserve) => take(reserve));
  }
  for (const reserve of reserves) while (accepted.length < SUGGESTION_COUNT && take(reserve));

  const usedTaglines = new Set<string>();
  const fallback = lazy(() => deckOf(`fallback:${main.id}`, [...main.taglines, ...MYSTERY.taglines], main.noun, main.nouns ?? pluralize(main.noun), random));
  const subjectWords = contentWords(`${subject.word} ${subject.words}`);
  const suggestions = accepted.map(({ name, deck: deckFor }) => {
    const deck = deckFor();
    const repeat = name.toLowerCase().replace(/\?$/, "");
    const usable = (line: string) => !usedTaglines.has(line) && !line.toLowerCase().includes(repeat);
    // "Feeding Time Friends: feeding the swan properly" says it twice: a tagline that shares no word
    // with its name reads better (the photo's own word aside: saying it is the tagline's job).
    const nameWords = contentWords(name).filter((word) => !subjectWords.includes(word) && !deck.says.includes(word));
    const fresh = (line: string) => usable(line) && !contentWords(line).some((word) => nameWords.includes(word));
    const inOrder = [...deck.lines.slice(deck.at), ...deck.lines.slice(0, deck.at)];
    let description = inOrder.find(fresh) ?? inOrder.find(usable);
    if (description) deck.at = (deck.lines.indexOf(description) + 1) % deck.lines.length;
    else description = fallback().lines.find(usable) ?? "";
    usedTaglines.add(description);
    return { name, description };
  });
  // Same validation as any provider's output: exactly 10, unique keys, clean text.
  return { reading, suggestions: normalizeSuggestions({ suggestions }) };
}

export function nameScene(scene: Scene, style?: Style, context?: string): Suggestion[] {
  return planNames(scene, style, context).suggestions;
}
