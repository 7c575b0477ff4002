/**
 * The word people use for each thing the models can see, reviewed by hand. One line per class:
 *
 *   <ImageNet index> <class name> [> <everyday word>[/<plural>]] @<topic> [+]
 *
 * The class name is the classifier's label (its first synonym), kept precise in `labels`; names
 * and taglines say the everyday word instead ("Egyptian cat" → cat, "bicycle-built-for-two" →
 * tandem bike). Without "> word" the class name is the everyday word. "+" marks a class name that
 * reads fine in a room name even though a plainer word is used ("golden retriever"); a class
 * name that is neither in its word ("buckle" in "belt buckle") nor marked "+" is unfit for names
 * ("Egyptian cat", "agama"), and
 * `npm run eval` counts names that contain one. The plural is given where it is not the regular
 * one ("wolf/wolves") or where the word has none ("coffee/coffee").
 */
export const CLASS_TABLE = `
0 tench > fish/fish @fishing
1 goldfish @aquarium
2 great white shark > shark @sharks +
3 tiger shark > shark @sharks +
4 hammerhead > hammerhead shark @sharks
5 electric ray > ray @sharks
6 stingray @sharks
7 cock > rooster @chickens
8 hen @chickens
9 ostrich @safari
10 brambling > finch @songbirds
11 goldfinch @songbirds
12 house finch > finch @songbirds +
13 junco @songbirds
14 indigo bunting > bunting @songbirds +
15 robin @songbirds
16 bulbul > songbird @songbirds
17 jay @songbirds
18 magpie @songbirds
19 chickadee @songbirds
20 water ouzel > dipper @songbirds
21 kite > kite bird @birds-of-prey
22 bald eagle > eagle @birds-of-prey +
23 vulture @birds-of-prey
24 great grey owl > owl @birds-of-prey
25 European fire salamander > salamander @amphibians
26 common newt > newt @amphibians
27 eft > newt @amphibians
28 spotted salamander > salamander @amphibians
29 axolotl @amphibians
30 bullfrog @amphibians
31 tree frog @amphibians
32 tailed frog > frog @amphibians
33 loggerhead > sea turtle @turtles
34 leatherback turtle > sea turtle @turtles
35 mud turtle > turtle @turtles
36 terrapin > turtle @turtles +
37 box turtle > turtle @turtles +
38 banded gecko > gecko @lizards
39 common iguana > iguana @lizards
40 American chameleon > anole @lizards
41 whiptail > lizard @lizards
42 agama > lizard @lizards
43 frilled lizard > lizard @lizards +
44 alligator lizard > lizard @lizards
45 Gila monster @lizards
46 green lizard > lizard @lizards +
47 African chameleon > chameleon @lizards
48 Komodo dragon @lizards
49 African crocodile > crocodile @reptiles
50 American alligator > alligator @reptiles
51 triceratops > dinosaur @dinosaurs +
52 thunder snake > snake @snakes
53 ringneck snake > snake @snakes
54 hognose snake > snake @snakes
55 green snake > snake @snakes +
56 king snake > snake @snakes +
57 garter snake > snake @snakes +
58 water snake > snake @snakes +
59 vine snake > snake @snakes
60 night snake > snake @snakes
61 boa constrictor > snake @snakes +
62 rock python > python @snakes
63 Indian cobra > cobra @snakes
64 green mamba > snake @snakes +
65 sea snake > snake @snakes +
66 horned viper > viper @snakes
67 diamondback > rattlesnake @snakes
68 sidewinder > rattlesnake @snakes
69 trilobite > fossil @dinosaurs +
70 harvestman > daddy longlegs/daddy longlegs @spiders
71 scorpion @creepy-crawlies
72 black and gold garden spider > spider @spiders
73 barn spider > spider @spiders
74 garden spider > spider @spiders +
75 black widow > spider @spiders +
76 tarantula @spiders
77 wolf spider > spider @spiders +
78 tick @creepy-crawlies
79 centipede @creepy-crawlies
80 black grouse > grouse @game-birds
81 ptarmigan @game-birds
82 ruffed grouse > grouse @game-birds
83 prairie chicken > grouse @game-birds
84 peacock @exotic-birds
85 quail @game-birds
86 partridge @game-birds
87 African grey > parrot @parrots
88 macaw @parrots
89 sulphur-crested cockatoo > cockatoo @parrots
90 lorikeet > parrot @parrots
91 coucal > bird @exotic-birds
92 bee eater > bird @exotic-birds
93 hornbill @exotic-birds
94 hummingbird @exotic-birds
95 jacamar > bird @exotic-birds
96 toucan @exotic-birds
97 drake > duck @waterfowl +
98 red-breasted merganser > duck @waterfowl
99 goose @waterfowl
100 black swan > swan @waterfowl +
101 tusker > elephant @safari
102 echidna @aussie-animals
103 platypus @aussie-animals
104 wallaby > kangaroo @aussie-animals +
105 koala @aussie-animals
106 wombat @aussie-animals
107 jelly fish > jellyfish @reef
108 sea anemone @reef
109 brain coral > coral/coral @reef
110 flatworm > sea creature @reef
111 nematode > worm @creepy-crawlies
112 conch > seashell @rock-pools
113 snail @creepy-crawlies
114 slug @creepy-crawlies
115 sea slug @reef
116 chiton > seashell @rock-pools
117 chambered nautilus > nautilus @reef
118 Dungeness crab > crab @seafood
119 rock crab > crab @rock-pools
120 fiddler crab > crab @rock-pools +
121 king crab @seafood
122 American lobster > lobster @seafood
123 spiny lobster > lobster @seafood
124 crayfish > crawfish/crawfish @seafood +
125 hermit crab @rock-pools
126 isopod > woodlouse/woodlice @creepy-crawlies
127 white stork > stork @wading-birds +
128 black stork > stork @wading-birds +
129 spoonbill @wading-birds
130 flamingo @wading-birds
131 little blue heron > heron @wading-birds
132 American egret > egret @wading-birds
133 bittern > heron @wading-birds
134 crane > crane @wading-birds
135 limpkin > wading bird @wading-birds
136 European gallinule > water bird @wading-birds
137 American coot > coot @wading-birds
138 bustard > bird @safari
139 ruddy turnstone > shorebird @shorebirds
140 red-backed sandpiper > sandpiper @shorebirds
141 redshank > shorebird @shorebirds
142 dowitcher > shorebird @shorebirds
143 oystercatcher @shorebirds
144 pelican @shorebirds
145 king penguin > penguin @shorebirds +
146 albatross @shorebirds
147 grey whale > whale @whales +
148 killer whale > orca @whales +
149 dugong > sea cow @whales
150 sea lion @whales
151 Chihuahua @dogs
152 Japanese spaniel > spaniel @dogs
153 Maltese dog > Maltese/Maltese @dogs
154 Pekinese @dogs
155 Shih-Tzu > Shih Tzu/Shih Tzus @dogs +
156 Blenheim spaniel > spaniel @dogs
157 papillon @dogs
158 toy terrier > terrier @dogs +
159 Rhodesian ridgeback > ridgeback @dogs +
160 Afghan hound @dogs
161 basset > basset hound @dogs +
162 beagle @dogs
163 bloodhound @dogs
164 bluetick > hound @dogs
165 black-and-tan coonhound > hound @dogs
166 Walker hound > hound @dogs
167 English foxhound > hound @dogs
168 redbone > hound @dogs
169 borzoi @dogs
170 Irish wolfhound @dogs
171 Italian greyhound > greyhound @dogs +
172 whippet @dogs
173 Ibizan hound > hound @dogs
174 Norwegian elkhound > dog @dogs
175 otterhound > hound @dogs
176 Saluki @dogs
177 Scottish deerhound > deerhound @dogs +
178 Weimaraner @dogs
179 Staffordshire bullterrier > Staffie @dogs
180 American Staffordshire terrier > pit bull @dogs
181 Bedlington terrier > terrier @dogs
182 Border terrier > terrier @dogs +
183 Kerry blue terrier > terrier @dogs
184 Irish terrier > terrier @dogs +
185 Norfolk terrier > terrier @dogs +
186 Norwich terrier > terrier @dogs +
187 Yorkshire terrier > Yorkie @dogs +
188 wire-haired fox terrier > terrier @dogs
189 Lakeland terrier > terrier @dogs +
190 Sealyham terrier > terrier @dogs
191 Airedale > Airedale terrier @dogs +
192 cairn > cairn terrier @dogs
193 Australian terrier > terrier @dogs +
194 Dandie Dinmont > terrier @dogs
195 Boston bull > Boston terrier @dogs
196 miniature schnauzer > schnauzer @dogs +
197 giant schnauzer > schnauzer @dogs +
198 standard schnauzer > schnauzer @dogs +
199 Scotch terrier > Scottie @dogs
200 Tibetan terrier > terrier @dogs +
201 silky terrier > terrier @dogs
202 soft-coated wheaten terrier > terrier @dogs
203 West Highland white terrier > Westie @dogs +
204 Lhasa > Lhasa apso @dogs
205 flat-coated retriever > retriever @dogs
206 curly-coated retriever > retriever @dogs
207 golden retriever @dogs
208 Labrador retriever > Labrador @dogs +
209 Chesapeake Bay retriever > retriever @dogs
210 German short-haired pointer > pointer @dogs
211 vizsla @dogs
212 English setter > setter @dogs +
213 Irish setter > setter @dogs +
214 Gordon setter > setter @dogs +
215 Brittany spaniel > spaniel @dogs +
216 clumber > spaniel @dogs
217 English springer > springer spaniel @dogs
218 Welsh springer spaniel > springer spaniel @dogs +
219 cocker spaniel @dogs
220 Sussex spaniel > spaniel @dogs +
221 Irish water spaniel > spaniel @dogs
222 kuvasz > dog @dogs
223 schipperke > dog @dogs
224 groenendael > sheepdog @dogs
225 malinois > shepherd dog @dogs
226 briard > sheepdog @dogs
227 kelpie > sheepdog @dogs
228 komondor > dog @dogs
229 Old English sheepdog > sheepdog @dogs +
230 Shetland sheepdog > sheltie @dogs +
231 collie @dogs
232 Border collie @dogs
233 Bouvier des Flandres > dog @dogs
234 Rottweiler @dogs
235 German shepherd @dogs
236 Doberman @dogs
237 miniature pinscher > min pin @dogs
238 Greater Swiss Mountain dog > mountain dog @dogs
239 Bernese mountain dog > Bernese @dogs +
240 Appenzeller > mountain dog @dogs
241 EntleBucher > mountain dog @dogs
242 boxer @dogs
243 bull mastiff > mastiff @dogs +
244 Tibetan mastiff > mastiff @dogs +
245 French bulldog > Frenchie @dogs +
246 Great Dane @dogs
247 Saint Bernard @dogs
248 Eskimo dog > husky/huskies @dogs
249 malamute @dogs
250 Siberian husky > husky/huskies @dogs +
251 dalmatian @dogs
252 affenpinscher > dog @dogs
253 basenji @dogs
254 pug @dogs
255 Leonberg > dog @dogs
256 Newfoundland > Newfie @dogs +
257 Great Pyrenees > mountain dog @dogs +
258 Samoyed @dogs
259 Pomeranian @dogs
260 chow > chow chow @dogs
261 keeshond > dog @dogs
262 Brabancon griffon > dog @dogs
263 Pembroke > corgi @dogs
264 Cardigan > corgi @dogs
265 toy poodle > poodle @dogs +
266 miniature poodle > poodle @dogs +
267 standard poodle > poodle @dogs +
268 Mexican hairless > dog @dogs
269 timber wolf > wolf/wolves @wild-canines
270 white wolf > wolf/wolves @wild-canines +
271 red wolf > wolf/wolves @wild-canines +
272 coyote @wild-canines
273 dingo @wild-canines
274 dhole > wild dog @wild-canines
275 African hunting dog > wild dog @wild-canines
276 hyena @wild-canines
277 red fox > fox/foxes @wild-canines +
278 kit fox > fox/foxes @wild-canines
279 Arctic fox > fox/foxes @wild-canines +
280 grey fox > fox/foxes @wild-canines +
281 tabby > cat @cats +
282 tiger cat > cat @cats
283 Persian cat @cats
284 Siamese cat @cats
285 Egyptian cat > cat @cats
286 cougar @big-cats
287 lynx @big-cats
288 leopard @big-cats
289 snow leopard @big-cats
290 jaguar @big-cats
291 lion @big-cats
292 tiger @big-cats
293 cheetah @big-cats
294 brown bear > bear @bears +
295 American black bear > black bear @bears
296 ice bear > polar bear @bears
297 sloth bear > bear @bears +
298 mongoose @critters
299 meerkat @critters
300 tiger beetle > beetle @bugs
301 ladybug @bugs
302 ground beetle > beetle @bugs +
303 long-horned beetle > beetle @bugs
304 leaf beetle > beetle @bugs +
305 dung beetle @bugs
306 rhinoceros beetle > beetle @bugs +
307 weevil > beetle @bugs
308 fly @bugs
309 bee @bees
310 ant @bugs
311 grasshopper @bugs
312 cricket @bugs
313 walking stick > stick insect @bugs
314 cockroach @bugs
315 mantis > praying mantis/praying mantises @bugs +
316 cicada @bugs
317 leafhopper > bug @bugs
318 lacewing > bug @bugs
319 dragonfly @bugs
320 damselfly > dragonfly @bugs
321 admiral > butterfly @butterflies
322 ringlet > butterfly @butterflies
323 monarch > monarch butterfly @butterflies +
324 cabbage butterfly > butterfly @butterflies +
325 sulphur butterfly > butterfly @butterflies
326 lycaenid > butterfly @butterflies
327 starfish @rock-pools
328 sea urchin @rock-pools
329 sea cucumber > sea creature @rock-pools +
330 wood rabbit > rabbit @critters
331 hare @critters
332 Angora > rabbit @small-pets
333 hamster @small-pets
334 porcupine > hedgehog @critters +
335 fox squirrel > squirrel @critters
336 marmot @critters
337 beaver @critters
338 guinea pig @small-pets
339 sorrel > horse @horses
340 zebra @safari
341 hog > pig @farm-animals +
342 wild boar > boar @animals +
343 warthog @safari
344 hippopotamus > hippo @safari +
345 ox > cow @farm-animals +
346 water buffalo > buffalo/buffalo @farm-animals +
347 bison > bison/bison @animals
348 ram > sheep/sheep @farm-animals +
349 bighorn > bighorn sheep/bighorn sheep @animals
350 ibex > mountain goat @animals +
351 hartebeest > antelope @safari
352 impala > antelope @safari +
353 gazelle @safari
354 Arabian camel > camel @safari
355 llama @farm-animals
356 weasel @critters
357 mink @critters
358 polecat > ferret @critters
359 black-footed ferret > ferret @small-pets
360 otter @critters
361 skunk @critters
362 badger @critters
363 armadillo @critters
364 three-toed sloth > sloth @animals
365 orangutan @monkeys
366 gorilla @monkeys
367 chimpanzee > chimp @monkeys +
368 gibbon > ape @monkeys +
369 siamang > ape @monkeys
370 guenon > monkey @monkeys
371 patas > monkey @monkeys
372 baboon @monkeys
373 macaque > monkey @monkeys +
374 langur > monkey @monkeys
375 colobus > monkey @monkeys
376 proboscis monkey > monkey @monkeys +
377 marmoset > monkey @monkeys +
378 capuchin > monkey @monkeys +
379 howler monkey > monkey @monkeys +
380 titi > monkey @monkeys
381 spider monkey > monkey @monkeys +
382 squirrel monkey > monkey @monkeys +
383 Madagascar cat > lemur @monkeys
384 indri > lemur @monkeys
385 Indian elephant > elephant @safari
386 African elephant > elephant @safari +
387 lesser panda > red panda @critters
388 giant panda > panda @bears +
389 barracouta > fish/fish @fishing
390 eel @aquarium
391 coho > salmon/salmon @fishing
392 rock beauty > tropical fish/tropical fish @aquarium
393 anemone fish > clownfish/clownfish @aquarium
394 sturgeon > fish/fish @fishing +
395 gar > fish/fish @fishing
396 lionfish > lionfish/lionfish @aquarium
397 puffer > pufferfish/pufferfish @aquarium
398 abacus @science
399 abaya @style
400 academic gown > graduation gown @graduation
401 accordion @band
402 acoustic guitar > guitar @guitar +
403 aircraft carrier > warship @ships +
404 airliner > plane @aviation
405 airship @aviation
406 altar @worship
407 ambulance @emergency
408 amphibian > amphibious vehicle @trucks
409 analog clock > clock @clocks
410 apiary > beehive @bees
411 apron @kitchen
412 ashcan > bin @cleaning
413 assault rifle > military gear/military gear @history
414 backpack @hiking
415 bakery @baking
416 balance beam @gym
417 balloon @fairs
418 ballpoint > pen @writing
419 Band Aid > plaster @health
420 banjo @guitar
421 bannister > staircase @home-decor
422 barbell @gym
423 barber chair > barbershop @beauty
424 barbershop @beauty
425 barn @farm-life
426 barometer > weather station @science
427 barrel @wine
428 barrow > wheelbarrow @gardening
429 baseball @baseball
430 basketball @basketball
431 bassinet > baby bed @babies
432 bassoon @band
433 bathing cap > swim cap @beach
434 bath towel > towel @bath +
435 bathtub > bath @bath +
436 beach wagon > station wagon @cars +
437 beacon > lighthouse @landmarks
438 beaker > lab glass/lab glass @science
439 bearskin > royal guard @history
440 beer bottle > beer/beer @beer +
441 beer glass > beer/beer @beer +
442 bell cote > bell tower @worship
443 bib @babies
444 bicycle-built-for-two > tandem bike @cycling
445 bikini > swimwear/swimwear @beach
446 binder > folder @writing
447 binoculars > binoculars/binoculars @hiking
448 birdhouse @gardening
449 boathouse @lakes
450 bobsled @winter-sports
451 bolo tie > bolo tie @accessories
452 bonnet > hat @accessories
453 bookcase > bookshelf/bookshelves @books
454 bookshop > bookshop @books
455 bottlecap > bottle cap @drinks
456 bow > archery/archery @sports
457 bow tie @accessories
458 brass > plaque @landmarks
459 brassiere > lingerie/lingerie @style
460 breakwater > sea wall @beach
461 breastplate > armour/armour @history
462 broom @cleaning
463 bucket @cleaning
464 buckle > belt buckle @accessories
465 bulletproof vest > police gear/police gear @emergency
466 bullet train @trains
467 butcher shop > butcher's @shopping
468 cab > taxi @public-transport +
469 caldron > cauldron @costumes
470 candle @home-decor
471 cannon > fort @history
472 canoe @paddling
473 can opener @kitchen
474 cardigan @style
475 car mirror > car @cars
476 carousel @fairs
477 carpenter's kit > toolbox @tools
478 carton > box/boxes @home
479 car wheel > wheel @cars +
480 cash machine > cash machine @money
481 cassette > mixtape @audio
482 cassette player > tape deck @audio
483 castle @castles
484 catamaran @sailing
485 CD player > stereo @audio
486 cello @strings
487 cellular telephone > phone @phones
488 chain @tools
489 chainlink fence > fence @city
490 chain mail > armour/armour @history
491 chain saw > chainsaw @tools +
492 chest > wooden chest @home-decor
493 chiffonier > dresser @home-decor
494 chime > wind chime @home-decor
495 china cabinet > china cabinet @home-decor
496 Christmas stocking @holidays
497 church @worship
498 cinema @movie-night
499 cleaver > kitchen knife/kitchen knives @kitchen
500 cliff dwelling > cliff dwelling @landmarks
501 cloak @costumes
502 clog @shoes
503 cocktail shaker > cocktail @cocktails
504 coffee mug > coffee/coffee @coffee +
505 coffeepot > coffee/coffee @coffee
506 coil > spiral @tools
507 combination lock > lock @tools
508 computer keyboard > keyboard @computers +
509 confectionery > sweet shop @sweets
510 container ship > cargo ship @ships +
511 convertible @cars
512 corkscrew > wine/wine @wine
513 cornet > trumpet @band +
514 cowboy boot @shoes
515 cowboy hat @accessories
516 cradle @babies
517 crane > construction crane @construction
518 crash helmet > helmet @motorbikes +
519 crate @home
520 crib > cot @babies +
521 Crock Pot > slow cooker @kitchen +
522 croquet ball > croquet/croquet @sports
523 crutch > crutches/crutches @health +
524 cuirass > armour/armour @history
525 dam @lakes
526 desk @writing
527 desktop computer > computer @computers +
528 dial telephone > old phone @phones
529 diaper > baby gear/baby gear @babies
530 digital clock > clock @clocks +
531 digital watch > watch/watches @clocks +
532 dining table > dinner table @dinner +
533 dishrag > dishcloth @cleaning +
534 dishwasher @cleaning
535 disk brake > brake @cars
536 dock > harbour @ships +
537 dogsled > sled dog @winter-sports +
538 dome @landmarks
539 doormat @home-decor
540 drilling platform > oil rig @ships +
541 drum @drums
542 drumstick > drums/drums @drums +
543 dumbbell @gym
544 Dutch oven > casserole pot @kitchen +
545 electric fan > fan @home
546 electric guitar > guitar @guitar +
547 electric locomotive > train @trains
548 entertainment center > TV cabinet @movie-night
549 envelope @writing
550 espresso maker > espresso machine @coffee +
551 face powder > makeup/makeup @beauty +
552 feather boa > feather boa @costumes
553 file > filing cabinet @writing +
554 fireboat > fireboat @emergency
555 fire engine @emergency
556 fire screen > fireplace @home-decor
557 flagpole > flag @city
558 flute @band
559 folding chair > chair @home-decor +
560 football helmet > American football/American football @gridiron
561 forklift @construction
562 fountain @landmarks
563 fountain pen @writing
564 four-poster > bed @home-decor +
565 freight car > freight train @trains +
566 French horn > horn @band +
567 frying pan @kitchen
568 fur coat > coat @style +
569 garbage truck > bin lorry @trucks +
570 gasmask > gas mask @history +
571 gas pump > petrol station @cars +
572 goblet > wine glass @wine +
573 go-kart @motorsport
574 golf ball > golf/golf @golf +
575 golfcart > golf cart @golf +
576 gondola @boats
577 gong @drums
578 gown > dress/dresses @style +
579 grand piano > piano @piano +
580 greenhouse @gardening
581 grille > car @cars +
582 grocery store > grocery shop @shopping +
583 guillotine > museum piece @history
584 hair slide > hair clip @beauty
585 hair spray > hair product @beauty +
586 half track > army truck @history
587 hammer @tools
588 hamper > laundry basket @cleaning +
589 hand blower > hair dryer @beauty +
590 hand-held computer > gadget @computers
591 handkerchief > hanky/hankies @accessories +
592 hard disc > hard drive @computers +
593 harmonica @band
594 harp @strings
595 harvester > combine harvester @farm-life +
596 hatchet > axe @tools +
597 holster > cowboy gear/cowboy gear @accessories
598 home theater > home cinema @movie-night +
599 honeycomb > honey/honey @bees +
600 hook @tools
601 hoopskirt > ball gown @style
602 horizontal bar > gymnastics/gymnastics @gym
603 horse cart > horse and cart/horses and carts @horses
604 hourglass @clocks
605 iPod > music player @audio +
606 iron > ironing/ironing @cleaning
607 jack-o'-lantern > pumpkin @costumes +
608 jean > jeans/jeans @style
609 jeep @cars
610 jersey > T-shirt @style +
611 jigsaw puzzle @games
612 jinrikisha > rickshaw @public-transport
613 joystick > video game @games
614 kimono @style
615 knee pad > skate gear/skate gear @sports
616 knot @crafts
617 lab coat @science
618 ladle @kitchen
619 lampshade > lamp @home-decor
620 laptop @computers
621 lawn mower @gardening
622 lens cap > camera @photography
623 letter opener > desk @writing
624 library @books
625 lifeboat @boats
626 lighter > campfire @camping
627 limousine > limo @cars +
628 liner > cruise ship @ships
629 lipstick @beauty
630 Loafer > shoe @shoes
631 lotion > skincare/skincare @beauty
632 loudspeaker > speaker @audio +
633 loupe > jeweller's loupe @science
634 lumbermill > sawmill @construction +
635 magnetic compass > compass/compasses @hiking +
636 mailbag > postbag @writing +
637 mailbox @writing
638 maillot > leotard @gym
639 maillot > swimsuit @beach
640 manhole cover > street @streets
641 maraca > maracas/maracas @drums
642 marimba > xylophone @drums +
643 mask @costumes
644 matchstick > match/matches @camping
645 maypole @fairs
646 maze @games
647 measuring cup @baking
648 medicine chest > bathroom cabinet @bath +
649 megalith > standing stones/standing stones @landmarks
650 microphone @audio
651 microwave @kitchen
652 military uniform > uniform @history +
653 milk can > milk churn @farm-life
654 minibus @public-transport
655 miniskirt > skirt @style
656 minivan @cars
657 missile > rocket @space
658 mitten > mittens/mittens @style
659 mixing bowl @baking
660 mobile home > caravan @camping
661 Model T > vintage car @cars +
662 modem > router @computers
663 monastery @worship
664 monitor > computer screen @computers +
665 moped > scooter @motorbikes +
666 mortar > pestle and mortar/pestles and mortars @kitchen
667 mortarboard > graduation cap @graduation +
668 mosque @worship
669 mosquito net > bed net @home-decor
670 motor scooter > scooter @motorbikes +
671 mountain bike @cycling
672 mountain tent > tent @camping +
673 mouse > computer mouse @computers +
674 mousetrap > mousetrap @home
675 moving van > van @trucks +
676 muzzle > dog @dogs
677 nail > nails/nails @tools
678 neck brace @health
679 necklace @accessories
680 nipple > baby bottle @babies
681 notebook > laptop @computers
682 obelisk @landmarks
683 oboe @band
684 ocarina @band
685 odometer > dashboard @cars
686 oil filter > car parts/car parts @cars
687 organ > pipe organ @piano +
688 oscilloscope > electronics/electronics @science
689 overskirt > skirt @style
690 oxcart > ox cart @farm-life
691 oxygen mask @health
692 packet > packaging/packaging @shopping
693 paddle > canoe @paddling +
694 paddlewheel > paddle steamer @boats
695 padlock > lock @tools +
696 paintbrush @crafts
697 pajama > pyjamas/pyjamas @style +
698 palace @castles
699 panpipe > pan pipes/pan pipes @band
700 paper towel > kitchen roll @cleaning +
701 parachute > skydiving/skydiving @aviation +
702 parallel bars > gymnastics/gymnastics @gym +
703 park bench @city
704 parking meter @streets
705 passenger car > train carriage @trains +
706 patio @gardening
707 pay-phone > phone box/phone boxes @streets +
708 pedestal > statue @landmarks
709 pencil box > pencil case @writing +
710 pencil sharpener > pencils/pencils @writing +
711 perfume @beauty
712 Petri dish > lab @science +
713 photocopier > office @writing
714 pick > guitar pick @guitar +
715 pickelhaube > army helmet @history
716 picket fence @gardening
717 pickup > pickup truck @cars +
718 pier @beach
719 piggy bank @money
720 pill bottle > medicine/medicine @health
721 pillow @home-decor
722 ping-pong ball > ping pong/ping pong @tennis +
723 pinwheel @fairs
724 pirate > pirate ship @sailing +
725 pitcher > jug @kitchen +
726 plane > woodworking plane/woodworking planes @tools
727 planetarium @space
728 plastic bag > shopping bag @shopping +
729 plate rack > dish rack @kitchen +
730 plow > plough @farm-life +
731 plunger @bath
732 Polaroid camera > instant camera @photography +
733 pole > pole @city
734 police van > police car @emergency +
735 poncho @style
736 pool table > pool/pool @games +
737 pop bottle > soda/soda @drinks +
738 pot > flowerpot @gardening +
739 potter's wheel > pottery/pottery @crafts +
740 power drill > drill @tools +
741 prayer rug > rug @home-decor +
742 printer @computers
743 prison @landmarks
744 projectile > rocket @space
745 projector @movie-night
746 puck > ice hockey/ice hockey @sports +
747 punching bag @gym
748 purse > handbag @accessories +
749 quill > quill pen @writing +
750 quilt @crafts
751 racer > race car @motorsport +
752 racket > tennis/tennis @tennis +
753 radiator @home
754 radio @audio
755 radio telescope @space
756 rain barrel > water butt @gardening +
757 recreational vehicle > camper van @camping +
758 reel > fishing reel @fishing +
759 reflex camera > camera @photography +
760 refrigerator > fridge @kitchen +
761 remote control > TV remote @movie-night +
762 restaurant @eating-out
763 revolver > cowboy gear/cowboy gear @accessories
764 rifle > hunting gear/hunting gear @history
765 rocking chair @home-decor
766 rotisserie > roast chicken @dinner
767 rubber eraser > eraser @writing +
768 rugby ball > rugby/rugby @gridiron +
769 rule > ruler @writing +
770 running shoe > trainer @shoes +
771 safe @money
772 safety pin @crafts
773 saltshaker > salt shaker @kitchen +
774 sandal @shoes
775 sarong @style
776 sax > saxophone @band +
777 scabbard > sword @history
778 scale > scales/scales @kitchen
779 school bus @public-transport
780 schooner > tall ship @sailing +
781 scoreboard > stadium @sports
782 screen > computer screen @computers
783 screw > screws/screws @tools +
784 screwdriver @tools
785 seat belt > car @cars
786 sewing machine @crafts
787 shield @history
788 shoe shop > shoe @shoes +
789 shoji > paper screen @home-decor
790 shopping basket @shopping
791 shopping cart > shopping trolley @shopping +
792 shovel > spade @gardening +
793 shower cap @bath
794 shower curtain > shower @bath +
795 ski > skiing/skiing @winter-sports +
796 ski mask > balaclava @winter-sports +
797 sleeping bag @camping
798 slide rule > slide rule @science
799 sliding door > door @home-decor +
800 slot > slot machine @games +
801 snorkel > snorkelling/snorkelling @reef
802 snowmobile @winter-sports
803 snowplow > snowplough @trucks +
804 soap dispenser > soap/soap @bath
805 soccer ball > football/football @football
806 sock > socks/socks @style +
807 solar dish > solar panel @science
808 sombrero @accessories
809 soup bowl > soup/soup @soup
810 space bar > keyboard @computers
811 space heater > heater @home
812 space shuttle @space
813 spatula @kitchen
814 speedboat @boats
815 spider web > spider web @spiders
816 spindle > spinning/spinning @crafts
817 sports car @cars
818 spotlight > stage lights/stage lights @theatre
819 stage @theatre
820 steam locomotive > steam train @trains +
821 steel arch bridge > bridge @bridges
822 steel drum > steel pan @drums +
823 stethoscope > doctor @health
824 stole > shawl @style +
825 stone wall @outdoors
826 stopwatch @clocks
827 stove > cooker @kitchen +
828 strainer > sieve @kitchen +
829 streetcar > tram @public-transport +
830 stretcher > first aid/first aid @health
831 studio couch > sofa @home-decor
832 stupa > temple @worship +
833 submarine @ships
834 suit @style
835 sundial @clocks
836 sunglass > sunglasses/sunglasses @accessories
837 sunglasses > sunglasses/sunglasses @accessories
838 sunscreen > sun cream/sun cream @beach +
839 suspension bridge > bridge @bridges +
840 swab > mop @cleaning
841 sweatshirt > hoodie @style +
842 swimming trunks > swimwear/swimwear @beach
843 swing @fairs
844 switch > light switch @home +
845 syringe > doctor @health
846 table lamp > lamp @home-decor +
847 tank @history
848 tape player > tape deck @audio +
849 teapot > tea/tea @tea +
850 teddy > teddy bear @toys +
851 television > TV @movie-night +
852 tennis ball > tennis/tennis @tennis +
853 thatch > thatched cottage @home +
854 theater curtain > theatre/theatre @theatre +
855 thimble > sewing/sewing @crafts
856 thresher > threshing machine @farm-life +
857 throne @castles
858 tile roof > rooftop @city
859 toaster > toast/toast @kitchen +
860 tobacco shop > corner shop @shopping
861 toilet seat > bathroom @bath
862 torch > flaming torch @camping
863 totem pole @landmarks
864 tow truck @trucks
865 toyshop > toy shop @toys +
866 tractor @farm-life
867 trailer truck > lorry/lorries @trucks
868 tray > tea tray @kitchen +
869 trench coat @style
870 tricycle > trike @cycling +
871 trimaran > sailing boat @sailing +
872 tripod @photography
873 triumphal arch > arch @landmarks +
874 trolleybus > bus/buses @public-transport
875 trombone @band
876 tub > wooden tub @home
877 turnstile > train station @trains
878 typewriter keyboard > typewriter @writing
879 umbrella @streets
880 unicycle @cycling
881 upright > piano @piano
882 vacuum > hoover @cleaning +
883 vase @home-decor
884 vault > vaulted ceiling @landmarks
885 velvet > fabric @crafts +
886 vending machine @shopping
887 vestment > church robes/church robes @worship
888 viaduct @bridges
889 violin @strings
890 volleyball @sports
891 waffle iron > waffles/waffles @baking +
892 wall clock > clock @clocks +
893 wallet @money
894 wardrobe @home-decor
895 warplane > fighter jet @aviation +
896 washbasin > bathroom sink @bath +
897 washer > washing machine @cleaning +
898 water bottle @drinks
899 water jug > jug @drinks +
900 water tower @city
901 whiskey jug > whisky/whisky @cocktails +
902 whistle @sports
903 wig @beauty
904 window screen > window @home-decor +
905 window shade > window blind @home-decor +
906 Windsor tie > tie @accessories +
907 wine bottle > wine/wine @wine +
908 wing > plane @aviation
909 wok @kitchen
910 wooden spoon @kitchen
911 wool > yarn @crafts +
912 worm fence > fence @farm-life
913 wreck > shipwreck @ships +
914 yawl > sailing boat @sailing
915 yurt @camping
916 web site > website @computers +
917 comic book @books
918 crossword puzzle > crossword @games +
919 street sign @streets
920 traffic light @streets
921 book jacket > book @books
922 menu @eating-out
923 plate > dinner plate @dinner +
924 guacamole @mexican
925 consomme > soup/soup @soup
926 hot pot @soup
927 trifle @desserts
928 ice cream > ice cream/ice cream @ice-cream
929 ice lolly > ice lolly/ice lollies @ice-cream
930 French loaf > baguette @baking
931 bagel @baking
932 pretzel @baking
933 cheeseburger > burger @fast-food +
934 hotdog > hot dog @fast-food +
935 mashed potato > mash/mash @dinner +
936 head cabbage > cabbage @veggies +
937 broccoli > broccoli/broccoli @veggies
938 cauliflower @veggies
939 zucchini @veggies
940 spaghetti squash > squash/squash @veggies
941 acorn squash > squash/squash @veggies
942 butternut squash > squash/squash @veggies +
943 cucumber @veggies
944 artichoke @veggies
945 bell pepper > pepper @veggies +
946 cardoon > veg/veg @veggies
947 mushroom @foraging
948 Granny Smith > apple @fruit
949 strawberry > strawberry/strawberries @fruit
950 orange @fruit
951 lemon @fruit
952 fig @fruit
953 pineapple @fruit
954 banana @fruit
955 jackfruit @fruit
956 custard apple > fruit/fruit @fruit
957 pomegranate @fruit
958 hay > hay/hay @farm-life
959 carbonara > pasta/pasta @dinner +
960 chocolate sauce > chocolate/chocolate @desserts +
961 dough > dough/dough @baking
962 meat loaf > meatloaf @dinner +
963 pizza @pizza
964 potpie > pie @dinner +
965 burrito @mexican
966 red wine > wine/wine @wine +
967 espresso > coffee/coffee @coffee +
968 cup > teacup @tea +
969 eggnog > eggnog/eggnog @holidays
970 alp > mountain @mountains
971 bubble > bubbles/bubbles @fairs
972 cliff @mountains
973 coral reef @reef
974 geyser @mountains
975 lakeside > lake @lakes
976 promontory > headland @beach
977 sandbar > sandbank @beach
978 seashore > beach/beaches @beach
979 valley @mountains
980 volcano > volcano/volcanoes @mountains
981 ballplayer > baseball/baseball @baseball
982 groom > wedding @weddings
983 scuba diver > diving/diving @reef
984 rapeseed > rapeseed field @farm-life +
985 daisy > daisy/daisies @flowers
986 yellow lady's slipper > orchid @flowers
987 corn > sweetcorn/sweetcorn @veggies +
988 acorn @foraging
989 hip > rose hip @foraging +
990 buckeye > conker @foraging
991 coral fungus > fungus/fungi @foraging
992 agaric > mushroom @foraging
993 gyromitra > mushroom @foraging
994 stinkhorn > fungus/fungi @foraging
995 earthstar > fungus/fungi @foraging
996 hen-of-the-woods > mushroom @foraging +
997 bolete > mushroom @foraging
998 ear > corn/corn @farm-life
999 toilet tissue > toilet roll @bath +
`;

/** The same for the detector's COCO labels (no index; the label is the detector's own). */
export const DETECTOR_TABLE = `
person > person @people
bicycle > bike @cycling
car @cars
motorcycle > motorbike @motorbikes
airplane > plane @aviation
bus > bus/buses @public-transport
train @trains
truck @trucks
boat @boats
traffic light @streets
fire hydrant @streets
stop sign @streets
parking meter @streets
bench > park bench @city
bird @birds
cat @cats
dog @dogs
horse @horses
sheep > sheep/sheep @farm-animals
cow @farm-animals
elephant @safari
bear @bears
zebra @safari
giraffe @safari
backpack @hiking
umbrella @streets
handbag @accessories
tie @accessories
suitcase @travel
frisbee @sports
skis > skiing/skiing @winter-sports
snowboard > snowboarding/snowboarding @winter-sports
sports ball > ball @sports
kite @outdoors
baseball bat > baseball/baseball @baseball
baseball glove > baseball/baseball @baseball
skateboard @sports
surfboard > surfing/surfing @beach
tennis racket > tennis/tennis @tennis
bottle @drinks
wine glass > wine/wine @wine
cup > coffee/coffee @coffee
fork > dinner @dinner
knife > dinner @dinner
spoon > dinner @dinner
bowl @dinner
banana @fruit
apple @fruit
sandwich @fast-food
orange @fruit
broccoli > broccoli/broccoli @veggies
carrot @veggies
hot dog @fast-food
pizza @pizza
donut @desserts
cake @desserts
chair @home-decor
couch > sofa @home-decor
potted plant > houseplant @gardening
bed @home-decor
dining table > dinner table @dinner
toilet > bathroom @bath
tv > TV @movie-night
laptop @computers
mouse > computer mouse @computers
remote > TV remote @movie-night
keyboard @computers
cell phone > phone @phones
microwave @kitchen
oven @kitchen
toaster > toast/toast @kitchen
sink > kitchen sink @kitchen
refrigerator > fridge @kitchen
book @books
clock @clocks
vase @home-decor
scissors > scissors/scissors @crafts
teddy bear @toys
hair drier > hair dryer @beauty
toothbrush @bath
`;
