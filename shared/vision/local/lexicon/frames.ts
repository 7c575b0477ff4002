/**
 * Name frames that read well around any everyday noun: {N} is the word in Title Case ("Tandem
 * Bike"), {Ns} its plural ("Tandem Bikes"; "Coffee" for a word without one). Some read well only
 * with a one-word noun ("Cat People", not "Graduation Gown People"). A photo gets two of these at
 * most; the rest of its names come from its topics.
 */
export const FRAMES = {
  playful: {
    any: ["{N} Crew", "{N} Fan Club", "Team {N}", "{N} Appreciation Society", "Mad About {Ns}", "Crazy for {Ns}"],
    oneWord: ["{N} Squad", "{N} Gang", "{N} Party", "{N} Nation", "{N} Posse", "{N} Mania"],
  },
  clear: {
    any: ["{N} Lovers", "{N} Enthusiasts", "{N} Forum", "{N} Society", "{N} Club", "{N} Talk", "All About {Ns}", "{N} Fans", "{N} Chat"],
    oneWord: ["{N} People", "{N} Community", "{N} Network"],
  },
  cozy: {
    any: ["{N} Corner", "{N} Friends", "For the Love of {Ns}", "{N} Circle"],
    oneWord: ["{N} Nook", "Sunday {N} Club", "{N} Hangout", "{N} Lounge", "The {N} Room", "Cozy {N} Club"],
  },
};

/**
 * When the models are not sure what the photo shows: names for its colour ({Colour}), and a
 * last, hedged name for the best guesses ({A} and {B} in Title Case).
 */
export const COLOR_FRAMES = [
  "Shades of {Colour}",
  "{Colour} Mood",
  "Mostly {Colour}",
  "{Colour} Hour",
  "True {Colour}",
  "{Colour} Tones",
  "Into the {Colour}",
  "{Colour} Notes",
];

/** Named colours (sRGB) with a few names of their own besides the frames. */
export const COLORS: { name: string; rgb: [number, number, number]; names: string[] }[] = [
  { name: "red", rgb: [190, 40, 40], names: ["Red Letter Day", "Paint the Town Red", "Ruby Room"] },
  { name: "orange", rgb: [230, 130, 40], names: ["Orange Glow", "Tangerine Dream", "Sunset Tones"] },
  { name: "gold", rgb: [215, 175, 60], names: ["Golden Hour", "Good as Gold", "Honey Tones"] },
  { name: "yellow", rgb: [235, 225, 80], names: ["Mellow Yellow", "Sunshine Club", "Lemon Drop"] },
  { name: "green", rgb: [70, 150, 60], names: ["Green Scene", "Evergreen", "Fresh Greens"] },
  { name: "teal", rgb: [40, 130, 130], names: ["Teal Deal", "Deep Teal", "Sea Glass"] },
  { name: "blue", rgb: [50, 90, 180], names: ["Blue Hour", "Out of the Blue", "Once in a Blue Moon"] },
  { name: "navy", rgb: [30, 40, 90], names: ["Midnight Blue", "Deep Navy", "After Dark"] },
  { name: "purple", rgb: [120, 60, 150], names: ["Purple Patch", "Violet Hour", "Plum Tones"] },
  { name: "pink", rgb: [230, 140, 170], names: ["Think Pink", "Rose Tinted", "Blush Hour"] },
  { name: "brown", rgb: [120, 80, 50], names: ["Earth Tones", "Warm Browns", "Cocoa Tones"] },
  { name: "beige", rgb: [215, 195, 160], names: ["Soft Neutrals", "Sand Tones", "Oatmeal Hour"] },
  { name: "grey", rgb: [128, 128, 128], names: ["Silver Linings", "Grey Matter", "Grey Area"] },
  { name: "charcoal", rgb: [45, 45, 45], names: ["After Dark", "Night Shift", "Shadow Play"] },
  { name: "white", rgb: [240, 240, 240], names: ["Blank Canvas", "White Out", "Clean Slate"] },
];

export const COLOR_TAGLINES = [
  "A photo in {colour} tones: share what you see in it",
  "Post your own {colour} pictures and compare the mood",
  "Mostly {colour}, wholly interesting",
  "For photos where {colour} steals the show",
  "Light, colour and texture first: {colour} everywhere",
  "Your best {colour} shots, side by side",
];

/** The last name of an unsure photo: its best guesses, said as guesses. */
export const HEDGE_FRAMES = { two: ["{A} or {B}?", "{A} or Maybe {B}?"], one: ["{A}, Perhaps?", "Maybe {A}?"] };
export const HEDGE_TAGLINES = [
  "Our best guess is {nouns}: help us tell what's in the picture",
  "Maybe {nouns}, maybe not: share what you see",
  "Looks a bit like {nouns} to us. Discuss",
  "Could it be {nouns}? Weigh in with your own photos",
];
