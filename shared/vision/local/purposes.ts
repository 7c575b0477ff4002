/**
 * What a caller's context can steer the local naming engine towards: groups and activities a chat
 * room is often for. A purpose matches when one of its words appears in the context ("names for my
 * hiking club" → hiking); its names and descriptions then lead the suggestions, with the photo's
 * everyday word in them where the template asks for it ({S} in names, {Ss} its plural, {subject} in
 * descriptions).
 * Context words that match nothing here are ignored: the context is data, never instructions.
 */
export interface Purpose {
  id: string;
  words: string[];
  names: string[];
  descriptions: string[];
}

export const PURPOSES: Purpose[] = [
  {
    id: "hiking",
    words: [
      "hike",
      "hikes",
      "hiking",
      "hiker",
      "hikers",
      "trail",
      "trails",
      "trek",
      "trekking",
      "walk",
      "walks",
      "walking",
      "walkers",
      "ramble",
      "ramblers",
      "outdoor",
      "outdoors",
      "mountain",
      "mountains",
    ],
    names: ["{S} Trail Club", "Happy Trails", "Trail Buddies", "Trailhead Talk", "Summit Seekers", "Weekend Walkers", "{S} On The Trail", "Boots And {Ss}"],
    descriptions: [
      "Trail plans, route swaps and the {subject} that came along",
      "For the hiking crew: weekend walks and {subject} sightings",
      "Muddy boots, summit photos and the odd {subject}",
    ],
  },
  {
    id: "books",
    words: ["book", "books", "reading", "readers", "reader", "novel", "novels", "library", "literature", "bookworms"],
    names: ["{S} Book Club", "Page Turners", "Book Swap Corner", "Chapter And Verse", "The Reading Nook", "Shelf Life", "{S} And A Good Book"],
    descriptions: [
      "Swaps, picks and reviews, with a {subject} for company",
      "For readers who trade books and photos like this {subject}",
      "Next month's pick, last month's debate and a {subject}",
    ],
  },
  {
    id: "office",
    words: ["office", "work", "team", "colleagues", "coworkers", "workplace", "company", "department", "staff"],
    names: ["{S} Break Room", "Office {S} Club", "Team Water Cooler", "Desk Neighbours", "Friday Office Chat", "The Coffee Break"],
    descriptions: [
      "Off-topic team chat, starting with this {subject}",
      "Where colleagues share the {subject} photos and the weekend plans",
      "Break-room talk for the whole office: {subject} included",
    ],
  },
  {
    id: "family",
    words: ["family", "families", "kids", "children", "parents", "grandparents", "cousins", "relatives", "siblings"],
    names: ["Family {S} Album", "The Family Table", "Cousins Corner", "Home Sweet Chat", "Family Photo Wall", "{S} At Home"],
    descriptions: [
      "Family news, photos and the {subject} everyone loves",
      "For the whole family: updates, plans and {subject} pictures",
      "Birthdays, weekends and every {subject} moment",
    ],
  },
  {
    id: "school",
    words: ["school", "class", "classmates", "students", "student", "teachers", "university", "college", "campus", "homework"],
    names: ["Class {S} Club", "Study Break", "Campus Corner", "The Class Chat", "Homework And {Ss}", "Hallway Talk"],
    descriptions: [
      "Class chat with room for this {subject}",
      "For classmates: notes, plans and {subject} photos",
      "Study breaks, campus news and the {subject}",
    ],
  },
  {
    id: "running",
    words: ["run", "runs", "running", "runners", "jog", "jogging", "marathon", "gym", "fitness", "workout", "training"],
    names: ["{S} Run Club", "Pace Setters", "Miles And Smiles", "Morning Run Crew", "Finish Line Friends", "Training Log"],
    descriptions: [
      "Runs, routes and the {subject} spotted on the way",
      "For the training crew: plans, times and {subject} photos",
      "Early starts, long miles and a {subject}",
    ],
  },
  {
    id: "cooking",
    words: ["cooking", "cook", "cooks", "recipes", "recipe", "kitchen", "baking", "bakers", "chefs", "food", "dinner", "potluck"],
    names: ["{S} Kitchen", "Recipe Swap", "Potluck Planners", "Test Kitchen", "Dinner Club", "The {S} Cookbook"],
    descriptions: [
      "Recipes, kitchen wins and the {subject} that inspired them",
      "For cooks who swap recipes and {subject} photos",
      "What's cooking this week, {subject} included",
    ],
  },
  {
    id: "garden",
    words: ["garden", "gardens", "gardening", "gardeners", "plants", "allotment", "growing", "seeds"],
    names: ["{S} Garden Club", "Green Thumbs", "Seed Swap", "Allotment Chat", "Bloom And Grow", "Potting Shed"],
    descriptions: [
      "Seedlings, harvests and the {subject} in the garden",
      "For gardeners: tips, swaps and {subject} photos",
      "What's growing, what's blooming and the {subject}",
    ],
  },
  {
    id: "travel",
    words: ["travel", "travels", "trip", "trips", "travelers", "travellers", "holiday", "holidays", "vacation", "journey", "backpacking"],
    names: ["{S} Travel Diary", "Wanderlust Crew", "Trip Planners", "Postcards Home", "Passport Pals", "Next Stop Chat"],
    descriptions: [
      "Trip plans, photos and the {subject} from the road",
      "For travellers swapping tips and {subject} pictures",
      "Where we went, where we're going and the {subject}",
    ],
  },
  {
    id: "neighbours",
    words: ["neighbours", "neighbors", "neighbourhood", "neighborhood", "street", "community", "local", "block", "village"],
    names: ["{S} On Our Street", "Neighbourhood Watch Party", "The Block Chat", "Village Green", "Street Talk", "Good Neighbours"],
    descriptions: [
      "Local news, lost-and-found and the {subject} down the road",
      "For neighbours: events, help and {subject} sightings",
      "Everything happening nearby, {subject} included",
    ],
  },
];

const WORD = /[a-z]+/g;

/** The purposes a context names, in the order they appear in it. */
export function purposesIn(context: string | undefined): Purpose[] {
  if (!context) return [];
  const words = context.toLowerCase().match(WORD) ?? [];
  const found: Purpose[] = [];
  for (const word of words) {
    const purpose = PURPOSES.find((candidate) => candidate.words.includes(word));
    if (purpose && !found.includes(purpose)) found.push(purpose);
  }
  return found;
}
