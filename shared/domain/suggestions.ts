import { createRequire } from "node:module";
import * as z from "zod/mini";
import { AnalysisFailedError } from "./errors.js";
import type { Suggestion } from "./types.js";

export const SUGGESTION_COUNT = 10;
export const NAME_MAX_LENGTH = 40;
export const DESCRIPTION_MAX_LENGTH = 90;
const KEY_MAX_LENGTH = 50;

/** What a provider may hand back, before normalisation: loose on purpose, strict afterwards (zod/mini: see settings.ts). */
export const rawSuggestionsSchema = z.object({
  suggestions: z.array(z.object({ name: z.string(), key: z.optional(z.string()), description: z.string() })).check(z.minLength(1)),
});

/** URL-ish text has no place in a room name: it is the usual payload of text-in-photo injection. */
const URL_PATTERN = /\b(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|ly|gg|xyz|ru|info|biz)\b/i;
// Control, format and private-use characters: invisible or layout-breaking in a chat UI.
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;
/** Angle brackets, and the full-width and small forms a client's NFKC normalisation would turn into them. */
const MARKUP_CHARACTERS = /[<>\uFF1C\uFF1E\uFE64\uFE65]/g;
/**
 * URL schemes a link or an HTML attribute would act on: script schemes wherever they appear (browsers
 * accept "javascript :"), the others when something follows the colon ("data:text/html", "tel:123"),
 * so that ordinary text such as "Big Data: Analytics" keeps its words.
 */
const SCRIPT_SCHEME = /(?:javascript|vbscript|livescript)\s*:/gi;
const URL_SCHEME = /\b(?:data|blob|file|filesystem|about|https?|ftp|wss?|mailto|tel|sms|intent|jar):(?=\S)/gi;

/** Names and words we never put in a suggestion. Labels that match are described by theme instead. */
export const BLOCKED_WORDS = new Set([
  "nipple",
  "brassiere",
  "bra",
  "diaper",
  "condom",
  "tampon",
  "guillotine",
  "gallows",
  "rifle",
  "assault rifle",
  "revolver",
  "pistol",
  "holster",
  "missile",
  "projectile",
  "cannon",
  "syringe",
  "pill bottle",
  "swimming trunks",
  "bikini",
  "maillot",
  "miniskirt",
  "ass",
  "damn",
  "hell",
  "sex",
  "kill",
  "dead",
  "nazi",
]);

/** Whether a text contains a word we never put in a suggestion (whole words, any case). */
export function isBlocked(text: string): boolean {
  const lower = text.toLowerCase();
  for (const blocked of BLOCKED_WORDS) {
    if (new RegExp(`\\b${blocked.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(lower)) return true;
  }
  return false;
}

/** A URL-safe key: "Café Crème Club" → "cafe-creme-club". */
export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, KEY_MAX_LENGTH)
    .replace(/-+$/g, "");
}

type Transliterate = (text: string) => string;
let anyAscii: Transliterate | undefined;

/**
 * any-ascii's table (half a megabyte) is loaded for the first name that needs it, not at start. require,
 * not import: in the Lambda bundle (CommonJS) it resolves from the layer through NODE_PATH.
 */
function transliterate(text: string): string {
  if (!anyAscii) {
    const loaded = createRequire(import.meta.url)("any-ascii") as Transliterate | { default: Transliterate };
    anyAscii = typeof loaded === "function" ? loaded : loaded.default;
  }
  return anyAscii(text);
}

/**
 * A suggestion's key: the name's slug, or for names in scripts without Latin letters ("コーヒー愛好家",
 * "Кофеманы") the slug of its transliteration ("kohiaihaojia", "kofemany"), so keys stay ASCII in any language.
 */
export function suggestionKey(name: string): string {
  return slugify(name) || slugify(transliterate(name));
}

function cleanText(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, " ").replace(/\s+/g, " ").trim();
}

/**
 * Plain text for a chat app that may render it as HTML or a link: no angle brackets and no URL
 * schemes, removed (each for a space, so no new one forms) until none is left.
 */
export function plainText(text: string): string {
  let current = text;
  for (let previous = ""; previous !== current; ) {
    previous = current;
    current = current.replace(MARKUP_CHARACTERS, " ").replace(SCRIPT_SCHEME, " ").replace(URL_SCHEME, " ");
  }
  return current.replace(/\s+/g, " ").trim();
}

/** Shortens at a word boundary when one is near, never mid-word otherwise. */
export function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const cut = text.slice(0, maxLength + 1);
  const lastSpace = cut.lastIndexOf(" ");
  const shortened = lastSpace >= maxLength * 0.6 ? cut.slice(0, lastSpace) : text.slice(0, maxLength);
  return shortened.replace(/[\s,;:.!?-]+$/, "");
}

/**
 * Turns a provider's reply into exactly 10 clean suggestions: whitespace and control
 * characters removed, suggestions with a URL or a blocked word dropped, then markup characters and
 * URL schemes removed (plain text), lengths capped, keys re-derived from names (never trusted from
 * the model) and unique. Fewer than 10 usable suggestions is a failed analysis: it is never stored.
 */
export function normalizeSuggestions(raw: unknown): Suggestion[] {
  const parsed = rawSuggestionsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AnalysisFailedError("Vision provider returned suggestions in an unexpected format");
  }
  const seenKeys = new Set<string>();
  const suggestions: Suggestion[] = [];
  for (const candidate of parsed.data.suggestions) {
    const [rawName, rawDescription] = [cleanText(candidate.name), cleanText(candidate.description)];
    // Before the schemes go: "https://x.example" must still read as a URL (and be dropped).
    if (URL_PATTERN.test(rawName) || URL_PATTERN.test(rawDescription)) continue;
    const name = truncate(plainText(rawName), NAME_MAX_LENGTH);
    const description = truncate(plainText(rawDescription), DESCRIPTION_MAX_LENGTH);
    if (!name || !description) continue;
    // The blocklist applies to every provider's names, not only the local engine's.
    if (isBlocked(name) || isBlocked(description)) continue;
    const key = suggestionKey(name);
    if (!key || seenKeys.has(key)) continue;
    seenKeys.add(key);
    suggestions.push({ name, key, description });
    if (suggestions.length === SUGGESTION_COUNT) break;
  }
  if (suggestions.length < SUGGESTION_COUNT) {
    throw new AnalysisFailedError(`Vision provider returned ${suggestions.length} usable suggestions; ${SUGGESTION_COUNT} are required`);
  }
  return suggestions;
}
