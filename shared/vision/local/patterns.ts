/**
 * The naming engine's pools. Large on purpose: each photo draws a few entries from each pool by a
 * seed taken from what it shows, so no one frame ("{subject} Lovers") turns up on most photos
 * (npm run eval reports that as "sameness"). {S} is the subject in Title Case, {Ss} its plural;
 * in descriptions {subject}/{subjects}; {parent} a broader word for it (WordNet).
 */

/** Name frames around the subject, with the styles they suit. */
export interface NamePattern {
  text: string;
  /** Businesslike enough for the "professional" style. */
  formal?: boolean;
  cozy?: boolean;
}

const formal = (text: string): NamePattern => ({ text, formal: true });
const cozy = (text: string): NamePattern => ({ text, cozy: true });

export const SUBJECT_PATTERNS: NamePattern[] = [
  formal("{S} Society"), formal("{S} Collective"), formal("{S} Circle"), formal("{S} Network"), formal("{S} Forum"),
  formal("{S} Exchange"), formal("{S} Roundtable"), formal("{S} Community"), formal("{S} Guild"), formal("{S} Journal"),
  formal("{S} Digest"), formal("{S} Insiders"), formal("{S} Enthusiasts"), formal("{S} Quarterly"), formal("{S} Review"),
  formal("{S} Briefing"), formal("{S} Study Group"), formal("{S} Council"), formal("{S} Institute"), formal("{S} Almanac"),
  { text: "{S} Lovers" }, { text: "{S} Fan Club" }, { text: "Friends of the {S}" }, { text: "The {S} Room" },
  { text: "The {S} Table" }, { text: "{S} Central" }, { text: "The {S} Hub" }, { text: "{S} Headquarters" },
  { text: "{S} Chat" }, { text: "{S} Talk" }, { text: "{S} Hangout" }, { text: "{S} Lounge" }, { text: "{S} Meetup" },
  { text: "{S} Gathering" }, { text: "{S} Admirers" }, { text: "{S} Spotters" }, { text: "{S} Watchers" },
  { text: "{S} Notes" }, { text: "{S} Gazette" }, { text: "{S} Weekly" }, { text: "{S} Stories" }, { text: "{S} Diaries" },
  { text: "{S} Chronicles" }, { text: "{S} Files" }, { text: "{S} Moments" }, { text: "{S} Sightings" },
  { text: "All About {Ss}" }, { text: "All Things {S}" }, { text: "For the Love of {Ss}" }, { text: "{S} Appreciation" },
  { text: "Daily {S}" }, { text: "Team {S}" }, { text: "{S} Nation" }, { text: "Planet {S}" }, { text: "{S} World" },
  { text: "{S} Station" }, { text: "{S} Basecamp" }, { text: "{S} Pals" }, { text: "{S} Buddies" }, { text: "{S} Squad" },
  { text: "{S} Crew" }, { text: "Simply {Ss}" }, { text: "Just {Ss}" }, { text: "{S} Obsessed" }, { text: "{S} Mania" },
  { text: "{S} Season" }, { text: "{S} Parade" }, { text: "{S} Showcase" }, { text: "{S} Gallery" }, { text: "{S} Spotlight" },
  { text: "{S} Club" }, { text: "{S} Fanatics" }, { text: "{S} Aficionados" }, { text: "{S} Keepers" }, { text: "{S} Seekers" },
  { text: "{S} Trackers" }, { text: "{S} Fan Zone" }, { text: "{S} Junction" }, { text: "{S} Outpost" }, { text: "{S} Open House" },
  { text: "Ask a {S} Fan" }, { text: "{S} Show and Tell" }, { text: "{S} Story Time" }, { text: "{S} Meet and Greet" },
  { text: "{S} Enthusiasts United" }, { text: "Bring Your {S}" }, { text: "{S} Picture Day" }, { text: "{S} Fun Facts" },
  { text: "Hooked on {Ss}" }, { text: "Big on {Ss}" }, { text: "Crazy About {Ss}" }, { text: "{S} Pride" },
  { text: "{S} High Five" }, { text: "{S} Brigade" }, { text: "{S} Jamboree" }, { text: "Only {Ss}" }, { text: "{S} Dispatch" },
  cozy("{S} Nook"), cozy("Cozy {S} Corner"), cozy("{S} Fireside"), cozy("The {S} Porch"), cozy("Snug {S} Den"),
  cozy("{S} Hideaway"), cozy("{S} Hearth"), cozy("Sunday {S} Club"), cozy("Quiet {S} Corner"), cozy("{S} Tea Time"),
  cozy("The {S} Cottage"), cozy("{S} Blanket Fort"), cozy("Slow {S} Mornings"), cozy("{S} Kitchen Table"),
];

/** Alliterative collective nouns, by first letter ("Espresso Enthusiasts", "Tench Tribe"). */
export const ALLITERATION: Record<string, string[]> = {
  a: ["Alliance", "Assembly", "Aficionados", "Academy", "Arcade"], b: ["Bunch", "Banter", "Brigade", "Bureau", "Bazaar"],
  c: ["Corner", "Crew", "Collective", "Club", "Caravan"], d: ["Den", "Digest", "District", "Dispatch", "Diner"],
  e: ["Enthusiasts", "Exchange", "Express", "Emporium"], f: ["Forum", "Fellowship", "Fans", "Festival", "Frenzy"],
  g: ["Gang", "Gathering", "Guild", "Gazette", "Gallery"], h: ["Hangout", "Hub", "Huddle", "Headquarters", "Haven"],
  i: ["Insiders", "Inn", "Institute"], j: ["Junction", "Jamboree", "Journal"], k: ["Kingdom", "Klub", "Kitchen"],
  l: ["Lounge", "League", "Lab", "Library"], m: ["Meetup", "Mania", "Mob", "Market"], n: ["Nook", "Network", "Nation", "Notes"],
  o: ["Outpost", "Order", "Oasis"], p: ["Parlor", "Posse", "Pals", "Parade", "Pavilion"], q: ["Quarters", "Quorum"],
  r: ["Roundtable", "Rally", "Room", "Retreat"], s: ["Society", "Squad", "Social", "Summit", "Station"],
  t: ["Talk", "Table", "Tribe", "Troupe", "Tavern"], u: ["Union", "Universe"], v: ["Village", "Vibes", "Vault"],
  w: ["Watch", "World", "Workshop", "Wagon"], x: ["Exchange"], y: ["Yard", "Yearbook"], z: ["Zone", "Zine"],
};

/** One-liners that fit any subject; each names it, so every room is recognisably about this photo. */
export const GENERAL_DESCRIPTIONS = [
  "Photos, stories and facts about the {subject}",
  "Share your best {subject} finds",
  "Questions, tips and {subject} trivia",
  "Where the {subject} gets the attention it deserves",
  "Snap it, share it, talk about the {subject}",
  "Little-known facts and big opinions on the {subject}",
  "For anyone who has ever stopped to look at a {subject}",
  "Your first stop for {subject} chat",
  "Collectors, fans and the plain curious: {subject} talk",
  "A friendly room for {subject} admirers",
  "Post your {subject} pictures and swap stories",
  "Everything {subject}, from the basics to the deep cuts",
  "Spotted a {subject} today? Tell us about it",
  "Fans of the {subject} compare notes here",
  "Good news, good photos, all {subjects}",
  "The {subject} room: pictures, questions, opinions",
  "Bring your {subject} stories and your best shots",
  "Talk {subjects} with people who get it",
  "From first sighting to expert tips: the {subject}",
  "One room for every {subject} question",
  "Show off a {subject} and see what others share",
  "Fun facts and favourite {subject} moments",
  "Small talk and big love for the {subject}",
  "News, photos and chat about {subjects}",
  "Drop in to talk about the {subject} any time",
  "A room that never gets tired of {subjects}",
  "The {subject} crowd meets here",
  "Where curious people talk about the {subject}",
  "Friendly debates about the {subject}",
  "Tips, trivia and {subject} pictures",
  "The place to geek out about the {subject}",
  "Photos first, questions welcome: {subject} chat",
  "Celebrating the {subject} in all its forms",
  "Share a {subject} picture, start a conversation",
  "For fans, experts and newcomers to the {subject}",
  "Honest opinions and happy photos of the {subject}",
  "Chat, share and learn about the {subject}",
  "Rare finds and everyday {subject} moments",
  "Keep up with everything about {subjects}",
  "Swap {subject} stories with people near and far",
  "A calm corner of the internet for {subject} fans",
  "Weekly {subject} threads, photo challenges and tips",
  "What makes a {subject} special? Let's talk",
  "First {subject}, favourite {subject}, latest {subject}",
  "Real people, real photos, real {subject} talk",
  "Ask anything about the {subject}, no question too small",
  "The best {subject} photos, picked by the room",
  "Meet others who can't walk past a {subject}",
  "A home for {subject} stories, old and new",
  "Gather round: it's all about the {subject} here",
  "Learn one new thing about the {subject} every day",
  "Your {subject} photos deserve an audience",
  "Where {subject} spotting becomes a team sport",
  "Pictures, plans and plenty of {subject} chat",
  "From beginner questions to {subject} expertise",
];

/** Descriptions that use a broader word for the subject ("retriever" for a Labrador retriever). */
export const PARENT_DESCRIPTIONS = [
  "Every kind of {parent}, the {subject} most of all",
  "The {subject} and the rest of the {parent} family",
  "For people who love a good {parent}, especially the {subject}",
  "A {subject} is a kind of {parent}: talk about both here",
  "From the {subject} to every other {parent}",
];

/** Two things in one photo: names ({S} the subject, {T} the other) and descriptions ({second}). */
export const PAIR_PATTERNS = ["{S} and {T}", "{S} Meets {T}", "{S} with {T}", "{T} and {S} Club", "{S} Plus {T}", "{S} and {T} Society", "{S} by the {T}", "{S} and {T} Talk"];
export const PAIR_DESCRIPTIONS = [
  "A {subject} and a {second}: talk about both",
  "Spotted a {second} beside the {subject}? Share it here",
  "The {subject}, the {second} and everything around them",
  "Where the {subject} meets the {second}",
  "Photos with a {subject} and a {second} in the frame",
  "For people who notice the {second} next to the {subject}",
  "Is the {second} the real star next to the {subject}? Discuss",
  "{Subject} in front, {second} behind: share your versions",
];

/** When the classifier hesitates between its first guesses ({second} is another guess). */
export const ALTERNATIVE_DESCRIPTIONS = [
  "Some see a {subject}, some see a {second}: which is it?",
  "{Subject} or {second}? Share your take",
  "Could be a {second} rather than a {subject}: compare and decide",
  "Not just the {subject}: a {second} fits the picture too",
];

/** Descriptions for the first guess when the models are not sure. */
export const HEDGED_DESCRIPTIONS = [
  "Our best guess is a {subject}: help us tell what's in the picture",
  "Maybe a {subject}, maybe not: share what you see",
  "Looks a bit like a {subject}, doesn't it? Discuss",
  "Is it a {subject}? Weigh in with your own photos",
];

/** Names and descriptions for what the photo looks like when nothing in it is recognised with confidence. */
export const UNCERTAIN_NAMES = [
  "Shades of {Colour}", "{Colour} Mood", "{Colour} Tones", "Mostly {Colour}", "{Colour} Study", "{Colour} Moments",
  "Mystery Snapshot Club", "Guess the Picture", "What Is It Anyway", "Second Look Society", "Hidden Details",
  "Closer Look Club", "Abstract Hour", "Texture Talk",
];
export const UNCERTAIN_DESCRIPTIONS = [
  "A photo in {colour} tones: share what you see in it",
  "Hard to say what it is, easy to talk about: {colour} everywhere",
  "Post your own {colour} pictures and compare the mood",
  "Nobody is sure what this shows yet: bring your guesses",
  "For photos that make you look twice",
  "Light, colour and texture first, subject later",
];

/** Named colours for the palette fallback (sRGB). */
export const COLOURS: { name: string; rgb: [number, number, number] }[] = [
  { name: "red", rgb: [190, 40, 40] }, { name: "orange", rgb: [230, 130, 40] }, { name: "gold", rgb: [215, 175, 60] },
  { name: "yellow", rgb: [235, 225, 80] }, { name: "green", rgb: [70, 150, 60] }, { name: "olive", rgb: [120, 120, 60] },
  { name: "teal", rgb: [40, 130, 130] }, { name: "blue", rgb: [50, 90, 180] }, { name: "navy", rgb: [30, 40, 90] },
  { name: "purple", rgb: [120, 60, 150] }, { name: "pink", rgb: [230, 140, 170] }, { name: "brown", rgb: [120, 80, 50] },
  { name: "beige", rgb: [215, 195, 160] }, { name: "grey", rgb: [128, 128, 128] }, { name: "charcoal", rgb: [45, 45, 45] },
  { name: "white", rgb: [240, 240, 240] },
];
