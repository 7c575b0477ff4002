import { ANIMAL_TOPICS } from "./lexicon/animals.js";
import { BIRD_TOPICS } from "./lexicon/birds.js";
import { BUG_TOPICS } from "./lexicon/bugs.js";
import { CITY_TOPICS } from "./lexicon/city.js";
import { DRINK_TOPICS } from "./lexicon/drinks.js";
import { FASHION_TOPICS } from "./lexicon/fashion.js";
import { FOOD_TOPICS } from "./lexicon/food.js";
import { HOBBY_TOPICS } from "./lexicon/hobbies.js";
import { HOME_TOPICS } from "./lexicon/home.js";
import { MUSIC_TOPICS } from "./lexicon/music.js";
import { OUTDOOR_TOPICS } from "./lexicon/outdoors.js";
import { PEOPLE_TOPICS } from "./lexicon/people.js";
import { PET_TOPICS } from "./lexicon/pets.js";
import { SEA_TOPICS } from "./lexicon/sea.js";
import { SPORT_TOPICS } from "./lexicon/sports.js";
import type { TopicData } from "./lexicon/topic.js";
import { TECH_TOPICS } from "./lexicon/tech.js";
import { TRANSPORT_TOPICS } from "./lexicon/transport.js";

/**
 * The naming lexicon: about 150 hand-written topics (lexicon/*.ts), each a node of one tree. A
 * topic's parent is the broader thing it belongs to (songbirds → birds → animals), so when the
 * models disagree on the thing, the engine can name what their guesses share.
 */
export interface Topic extends TopicData {
  parentTopic?: Topic;
  /** Names that fit only some things of the topic, with the words they fit (lower case). */
  only: Map<string, Set<string>>;
}

const TAGGED = /^(.*?) \[([^\]]+)\]$/;

/** Takes the "[words]" off names that fit only some things, and remembers which. */
function topicOf(data: TopicData): Topic {
  const only = new Map<string, Set<string>>();
  const clean = (names: string[]) =>
    names.map((name) => {
      const tagged = TAGGED.exec(name);
      if (!tagged) return name;
      only.set(tagged[1]!, new Set(tagged[2]!.split(",").map((word) => word.trim().toLowerCase())));
      return tagged[1]!;
    });
  return { ...data, playful: clean(data.playful), clear: clean(data.clear), cozy: clean(data.cozy), only };
}

/** Whether a topic's name fits a photo whose everyday word is `word`. */
export function fits(topic: Topic, name: string, word: string): boolean {
  const words = topic.only.get(name);
  return !words || words.has(word.toLowerCase());
}

export const TOPICS: Topic[] = [
  ...ANIMAL_TOPICS,
  ...PET_TOPICS,
  ...BIRD_TOPICS,
  ...SEA_TOPICS,
  ...BUG_TOPICS,
  ...FOOD_TOPICS,
  ...DRINK_TOPICS,
  ...TRANSPORT_TOPICS,
  ...HOME_TOPICS,
  ...FASHION_TOPICS,
  ...MUSIC_TOPICS,
  ...SPORT_TOPICS,
  ...OUTDOOR_TOPICS,
  ...CITY_TOPICS,
  ...TECH_TOPICS,
  ...HOBBY_TOPICS,
  ...PEOPLE_TOPICS,
].map(topicOf);

const byId = new Map<string, Topic>();
for (const topic of TOPICS) {
  if (byId.has(topic.id)) throw new Error(`lexicon: topic "${topic.id}" is defined twice`);
  byId.set(topic.id, topic);
}
for (const topic of TOPICS) {
  if (topic.parent === undefined) continue;
  const parent = byId.get(topic.parent);
  if (!parent) throw new Error(`lexicon: topic "${topic.id}" has an unknown parent "${topic.parent}"`);
  topic.parentTopic = parent;
}

export function topicById(id: string): Topic {
  const topic = byId.get(id);
  if (!topic) throw new Error(`lexicon: no topic "${id}"`);
  return topic;
}

/** The topic and its broader topics, nearest first (songbirds, birds, animals). */
export function lineage(topic: Topic): Topic[] {
  const chain: Topic[] = [];
  for (let at: Topic | undefined = topic; at && !chain.includes(at); at = at.parentTopic) chain.push(at);
  return chain;
}

/** What a photo nothing is recognised in is named for: a second look, its colour. */
export const MYSTERY = topicById("mystery");
/** Two or more people: the company. */
export const PEOPLE = topicById("people");
/** One person. */
export const PORTRAITS = topicById("portraits");
