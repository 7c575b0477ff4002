/**
 * One topic of the naming lexicon: data written and reviewed by hand, as a person naming chat
 * rooms would. Every name fits anything in the topic (a "dogs" name fits a pug and a husky), so
 * the engine never needs to know more than the topic to use it.
 *
 * Taglines may say the photo's everyday word: {noun} ("Labrador"), {nouns} ("Labradors") or
 * {Noun} at the start of a sentence. When the models agree on the topic but not on the thing,
 * the word is the topic's own `noun` ("dog").
 */
export interface TopicData {
  id: string;
  /** The broader topic it belongs to (cats → pets → animals); none for the broadest ones. */
  parent?: string;
  /** The everyday word for anything in the topic. */
  noun: string;
  /** Its plural, when it is not the regular one ("coffee", "wolves"). */
  nouns?: string;
  /**
   * Taglines say the topic's noun, not the thing's word: its things are too different for one
   * sentence to fit them all ("Seedlings, harvests and your garden" fits a wheelbarrow photo;
   * "…and your wheelbarrow" does not).
   */
  sayTopic?: boolean;
  /**
   * No frames around its things' words: they are objects a room is not named after ("Hook Fans",
   * "Team Water Tower"), so all its names come from the lists below.
   */
  noFrames?: boolean;
  /** How the names and taglines sound, for writers and reviewers. */
  tone: string;
  /**
   * Names for the room; each fits anything in the topic unless it ends with the words it is for:
   * "Hat Collectors [hat, cowboy hat, sombrero]" is only for photos of those (the topic's own noun
   * in the list makes it fit the topic as a whole, when the models only agree on the topic).
   *
   * Wordplay: puns, rhymes, alliteration that work.
   */
  playful: string[];
  /** Clear and topical: what a club, a team or a forum would call the room. */
  clear: string[];
  /** Warm, welcoming, small-group. */
  cozy: string[];
  taglines: string[];
}
