/**
 * `npm run build-lexicon`: writes shared/vision/local/rhymes.json, the rhyme table behind names
 * such as "Cat Chat", "Dog Blog" and "Retriever Fever".
 *
 * Rhymes come from the CMU Pronouncing Dictionary (npm `cmu-pronouncing-dictionary`, a dev
 * dependency): two words rhyme when their sounds match from the last stressed vowel on. Only the
 * words the local provider can print are looked up (ImageNet class names, COCO labels, theme nouns),
 * against a fixed pool of words that make sense in a room name, so the runtime table is a few KB and
 * the 4.7 MB dictionary never loads in the service.
 */
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dictionary } from "cmu-pronouncing-dictionary";
import { THEMES } from "../shared/vision/local/themes.js";

/** Words that can follow a subject in a room name, each a place, a gathering, a kind of talk or a mood. */
export const ROOM_WORDS = [
  "bay", "base", "bash", "beat", "blast", "blog", "board", "brew", "buzz", "cafe", "camp", "cast", "chat", "cheer", "chorus",
  "club", "court", "crew", "crowd", "dash", "deck", "den", "dock", "dream", "fair", "fest", "fever", "fiesta", "flash", "fleet",
  "flock", "fort", "fun", "gang", "glow", "greet", "group", "guild", "hall", "hive", "hub", "hut", "jam", "jive", "lair", "lane",
  "league", "loop", "lounge", "mania", "meet", "nest", "news", "nook", "pack", "pad", "parade", "park", "party", "path", "pier",
  "place", "play", "plaza", "pod", "post", "pub", "quest", "race", "rally", "ring", "room", "roost", "scene", "scoop", "set",
  "shack", "show", "space", "spot", "squad", "stage", "stand", "station", "stop", "street", "talk", "team", "theme", "tour",
  "track", "trail", "treat", "tribe", "troop", "view", "vibe", "walk", "wave", "week", "yard", "zone", "zoo", "junction",
  "reunion", "lotion", "motion", "commotion", "potion", "nation", "station", "patrol", "parlor", "corner", "gallery", "ballet",
  "cabaret", "soiree", "buffet", "cafe", "rendezvous", "review", "crew", "venue", "menu", "debut", "bunch", "brunch", "lunch",
  "huddle", "puddle", "circle", "carnival", "festival", "social", "summit", "forum", "ensemble", "bungalow", "studio", "radio",
  "patio", "rodeo", "video", "disco", "gazette", "duet", "quartet", "cabinet", "banquet", "outlet", "roulette", "palace",
  "clinic", "picnic", "attic", "cove", "grove", "alley", "valley", "gallery", "harbor", "arbor", "tavern", "cavern", "lantern",
];

const require = createRequire(import.meta.url);
const classes = (require("@tensorflow-models/mobilenet/dist/imagenet_classes.js") as { IMAGENET_CLASSES: Record<number, string> }).IMAGENET_CLASSES;
const COCO = ["person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "bench", "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "ball", "kite", "skateboard", "surfboard", "bottle", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "pizza", "donut", "cake", "chair", "couch", "houseplant", "bed", "toilet", "laptop", "mouse", "remote", "keyboard", "phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy", "toothbrush"];

/** The sounds from the last primary-stressed vowel to the end ("retriever" → "IY V ER"). */
export function rhymeKey(pronunciation: string): string {
  const phones = pronunciation.split(" ");
  let at = phones.findLastIndex((phone) => phone.endsWith("1"));
  if (at === -1) at = phones.findLastIndex((phone) => /\d$/.test(phone));
  return phones.slice(Math.max(at, 0)).map((phone) => phone.replace(/\d$/, "")).join(" ");
}

const subjects = new Set<string>();
for (const name of Object.values(classes)) for (const synonym of name.split(",")) subjects.add(synonym.trim().split(/\s+/).at(-1)!.toLowerCase());
for (const word of COCO) subjects.add(word);
for (const theme of THEMES) subjects.add(theme.noun.split(" ").at(-1)!);

const partners = new Map<string, string[]>();
for (const word of new Set(ROOM_WORDS)) {
  const pronunciation = dictionary[word];
  if (!pronunciation) throw new Error(`"${word}" is not in the CMU dictionary`);
  const key = rhymeKey(pronunciation);
  partners.set(key, [...(partners.get(key) ?? []), word]);
}
const table: Record<string, string[]> = {};
for (const subject of [...subjects].sort()) {
  const pronunciation = dictionary[subject];
  if (!pronunciation) continue;
  // The same word is no rhyme ("Club Club"), nor is a word ending in it ("Nightclub Club").
  const rhymes = (partners.get(rhymeKey(pronunciation)) ?? []).filter((word) => word !== subject && !subject.endsWith(word) && !word.endsWith(subject));
  if (rhymes.length) table[subject] = rhymes;
}
await writeFile(new URL("../shared/vision/local/rhymes.json", import.meta.url), `${JSON.stringify(table, null, 0)}\n`);
console.log(`${Object.keys(table).length} of ${subjects.size} subject words have a rhyme among ${new Set(ROOM_WORDS).size} room words`);
