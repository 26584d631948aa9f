"""Kinds of demo pieces per craft, in English and Khmer: colours, patterns, fibres, sizes,
care notes. ``products`` turns them into product rows."""

from dataclasses import dataclass

COMMUNITY_SHORT_KM = {"bunong": "ព្នង", "jarai": "ចារ៉ាយ", "tampuan": "ទំពួន", "kreung": "គ្រឹង",
                      "kuy": "កួយ", "khmer": "ខ្មែរ"}
HIGHLANDS = {"bunong", "jarai", "tampuan", "kreung"}


@dataclass(frozen=True)
class Colour:
    key: str
    en: str
    km: str
    source_en: str
    source_km: str


COLOURS = (
    Colour("indigo", "indigo", "ពណ៌ខៀវ", "indigo leaves", "ស្លឹកត្រំ"),
    Colour("red", "red", "ពណ៌ក្រហម", "lac", "ល័ក្ខ"),
    Colour("black", "black", "ពណ៌ខ្មៅ", "ebony fruit (makloeur)", "ផ្លែមក្លឿ"),
    Colour("yellow", "yellow", "ពណ៌លឿង", "prohut bark", "សំបកប្រហូត"),
    Colour("green", "green", "ពណ៌បៃតង", "indigo over prohut", "ត្រំ និងប្រហូត"),
    Colour("brown", "brown", "ពណ៌ត្នោត", "forest bark", "សំបកឈើព្រៃ"),
    Colour("natural", "undyed", "ពណ៌ធម្មជាតិ", "the undyed fibre", "សរសៃមិនជ្រលក់ពណ៌"),
)
COLOUR = {c.key: c for c in COLOURS}
PATTERNS = (("diamond motif", "ក្បាច់ពេជ្រ"), ("rice-grain motif", "ក្បាច់គ្រាប់ស្រូវ"),
            ("star motif", "ក្បាច់ផ្កាយ"), ("wave motif", "ក្បាច់រលក"))
HOL = ("hol ikat", "ក្បាច់ហូល")
FIBRES = {"cotton": "កប្បាស", "silk": "សូត្រ"}


@dataclass(frozen=True)
class Kind:
    key: str
    craft: str
    category: str
    shape: str  # what the first photo shows (see photos.draw)
    title: str  # {community} {colour} {fibre} {pattern}
    title_km: str  # {community} {colour} {fibre} {pattern}
    description: str
    description_km: str
    materials: tuple[tuple[str, str], ...]  # (material, origin with {place} {province})
    techniques: tuple[tuple[str, str], ...]  # (step, "hand" | "machine")
    dimensions: str
    weight: tuple[int, int]
    price: tuple[int, int]  # cents
    care: str
    mode: str = "stock"  # stock | made_to_order | unique
    lead: tuple[int, int] = (0, 0)
    capacity: tuple[int, int] = (0, 0)
    stock: tuple[int, int] = (3, 12)
    variants: str = ""  # "" | colour | size | volume | pack
    dyed: bool = False


WASH = "Hand wash in cold water with mild soap; dry in the shade; iron inside out."
DRY = "Keep dry and out of direct sun; brush off dust; a little coconut oil keeps rattan supple."
CLAY_CARE = "Fill slowly the first time; not for the oven or the dishwasher; wash with water only."
RESIN_CARE = "Flammable: store closed, away from heat and children."

KINDS: tuple[Kind, ...] = (
    # Weaving
    Kind("scarf", "weaving", "scarves", "flat", "{community} {colour} {fibre} scarf",
         "ក្រមា{fibre}{community} {colour}",
         "A light {fibre} scarf woven by hand on {loom} and finished with a knotted fringe.",
         "ក្រមា{fibre}ស្រាល ត្បាញដោយដៃលើកី ហើយចងរំយោលនៅចុង។",
         (("{fibre}", "{fibre_origin}"), ("natural dye", "made in {place}")),
         (("{spin}", "hand"), ("dyeing", "hand"), ("weaving", "hand"), ("knotting the fringe",
                                                                          "hand")),
         "180 x 50 cm", (110, 180), (1800, 4200), WASH, stock=(3, 12), variants="colour",
         dyed=True),
    Kind("skirt", "weaving", "skirts", "flat", "{community} ceremonial skirt with {pattern}",
         "សំពត់ពិធី{community} {pattern}",
         "A ceremonial tube skirt of the {community} people, woven to order in {fibre} with "
         "{pattern} bands. It takes the weaver four to eight weeks, so it is made for you once "
         "you order.",
         "សំពត់ពិធីរបស់{community} ត្បាញដោយ{fibre} មានក្បាច់ជាឆ្នូតៗ។ "
         "ត្រូវការពេលពីបួនទៅប្រាំបីសប្ដាហ៍ ដូច្នេះធ្វើតាមការកុម្ម៉ង់។",
         (("{fibre}", "{fibre_origin}"), ("natural dye", "made in {place}")),
         (("{spin}", "hand"), ("tie-dyeing the pattern", "hand"), ("weaving", "hand"),
          ("sewing the tube", "hand")),
         "100 x 160 cm", (600, 900), (9000, 18000), WASH, mode="made_to_order", lead=(30, 60),
         capacity=(1, 3), dyed=True),
    Kind("sarong", "weaving", "sarongs", "flat", "One-of-a-kind {colour} {fibre} sarong",
         "សំពត់{fibre}ត្បាញដៃ {colour} (មានតែមួយ)",
         "A hand-woven sarong with {pattern}; this exact piece exists once.",
         "សំពត់ត្បាញដៃ មាន{pattern}។ សំពត់នេះមានតែមួយគត់។",
         (("{fibre}", "{fibre_origin}"),),
         (("{spin}", "hand"), ("dyeing", "hand"), ("weaving", "hand"), ("hemming", "machine")),
         "110 x 180 cm", (350, 600), (4500, 9000), WASH, mode="unique", dyed=True),
    Kind("blanket", "weaving", "home", "folded", "{community} cotton blanket with {pattern}",
         "ភួយកប្បាស{community} {pattern}",
         "A thick blanket of hand-spun cotton, woven in three panels and sewn together by hand; "
         "made to order.",
         "ភួយក្រាស់ធ្វើពីកប្បាសរវៃដោយដៃ ត្បាញជាបីផ្ទាំង ហើយដេរភ្ជាប់ដោយដៃ។ ធ្វើតាមការកុម្ម៉ង់។",
         (("cotton", "grown and hand-spun in {place}"),),
         (("spinning", "hand"), ("weaving three panels", "hand"), ("joining", "hand")),
         "200 x 140 cm", (1200, 1600), (7500, 12000), WASH, mode="made_to_order",
         lead=(40, 60), capacity=(2, 4), dyed=True),
    Kind("bag", "weaving", "bags", "bag", "Woven shoulder bag, {colour}",
         "កាបូបស្ពាយត្បាញ {colour}",
         "A shoulder bag cut from hand-woven cloth and sewn on a treadle machine, with a lined "
         "inside pocket.",
         "កាបូបស្ពាយធ្វើពីក្រណាត់ត្បាញដៃ ដេរដោយម៉ាស៊ីនដេរ មានហោប៉ៅខាងក្នុង។",
         (("cotton", "hand-spun in {place}"), ("lining cotton", "bought in {province}")),
         (("weaving the cloth", "hand"), ("sewing the bag", "machine")),
         "30 x 35 cm, strap 110 cm", (250, 350), (1500, 2800), WASH, stock=(5, 15),
         variants="colour", dyed=True),
    Kind("krama", "weaving", "scarves", "flat", "Checked {fibre} krama, {colour}",
         "ក្រមា{fibre}ឆ្នូត {colour}",
         "The checked cloth every Cambodian knows, for the neck, the head or the market basket.",
         "ក្រមាឆ្នូតដែលប្រជាជនកម្ពុជាគ្រប់គ្នាស្គាល់ សម្រាប់ពាក់ក ឬជូតខ្លួន។",
         (("{fibre}", "{fibre_origin}"),),
         (("dyeing", "hand"), ("weaving", "hand")),
         "170 x 60 cm", (120, 160), (900, 1600), WASH, stock=(10, 30), dyed=True),
    Kind("runner", "weaving", "home", "flat", "Table runner with {pattern}",
         "កម្រាលតុ {pattern}",
         "A narrow runner woven in one piece, for a table or a wall.",
         "កម្រាលតុវែង ត្បាញជាបន្ទះតែមួយ សម្រាប់តុ ឬព្យួរលើជញ្ជាំង។",
         (("cotton", "hand-spun in {place}"),),
         (("weaving", "hand"), ("hemming", "hand")),
         "40 x 160 cm", (180, 260), (1600, 3000), WASH, stock=(2, 8), dyed=True),
    # Basketry
    Kind("back-basket", "basketry", "back-baskets", "back", "{community} rattan back-basket",
         "កន្ត្រកស្ពាយផ្ដៅ{community}",
         "The tall basket carried on the back to the fields, with bark shoulder straps and a "
         "square foot that stands on its own.",
         "កន្ត្រកខ្ពស់សម្រាប់ស្ពាយទៅចម្ការ មានខ្សែស្ពាយពីសំបកឈើ និងជើងការ៉េ។",
         (("rattan", "harvested in {place}"), ("bamboo", "cut in {place}"),
          ("bark straps", "from the forest near {place}")),
         (("splitting the rattan", "hand"), ("weaving the body", "hand"),
          ("binding the rim", "hand")),
         "H 55 cm, opening 40 cm", (800, 1200), (2800, 6500), DRY, stock=(2, 6),
         variants="size"),
    Kind("rice-basket", "basketry", "rice baskets", "round", "{community} rice basket with lid",
         "កន្ត្រកដាក់អង្ករ{community} មានគម្រប",
         "A tight-woven basket that keeps husked rice dry and safe from mice.",
         "កន្ត្រកត្បាញយ៉ាងណែន រក្សាអង្ករឱ្យស្ងួត និងការពារពីកណ្ដុរ។",
         (("rattan", "harvested in {place}"), ("bamboo", "cut in {place}")),
         (("splitting the bamboo", "hand"), ("weaving", "hand"), ("fitting the lid", "hand")),
         "Ø 35 cm, H 30 cm", (600, 900), (1500, 3500), DRY, stock=(2, 8)),
    Kind("sticky-rice-basket", "basketry", "rice baskets", "round",
         "{community} sticky-rice basket", "កន្ត្រកតូចដាក់បាយដំណើប{community}",
         "A small basket with a lid and a cord, to carry steamed sticky rice to the field.",
         "កន្ត្រកតូចមានគម្រប និងខ្សែ សម្រាប់យកបាយដំណើបទៅចម្ការ។",
         (("bamboo", "cut in {place}"), ("rattan cord", "harvested in {place}")),
         (("splitting the bamboo", "hand"), ("weaving", "hand")),
         "Ø 14 cm, H 16 cm", (120, 200), (600, 1200), DRY, stock=(10, 25)),
    Kind("tray", "basketry", "trays", "tray", "{community} bamboo winnowing tray",
         "ចង្អេរឫស្សី{community}",
         "The round tray used to winnow rice; also a fine wall piece or fruit tray.",
         "ចង្អេរមូលសម្រាប់រែងអង្ករ ក៏អាចប្រើដាក់ផ្លែឈើ ឬព្យួរលើជញ្ជាំង។",
         (("bamboo", "cut in {place}"), ("rattan rim", "harvested in {place}")),
         (("splitting the bamboo", "hand"), ("weaving", "hand"), ("binding the rim", "hand")),
         "Ø 55 cm", (500, 700), (800, 1500), DRY, stock=(4, 12)),
    Kind("market-basket", "basketry", "bags", "round", "{community} rattan market basket",
         "កន្ត្រកផ្ដៅ{community} សម្រាប់ទៅផ្សារ",
         "A sturdy basket with a handle for the market, woven from split rattan.",
         "កន្ត្រកមានដៃកាន់សម្រាប់ទៅផ្សារ ត្បាញពីផ្ដៅពុះ។",
         (("rattan", "harvested in {place}"),),
         (("splitting the rattan", "hand"), ("weaving", "hand")),
         "38 x 25 x 30 cm", (500, 800), (1800, 3200), DRY, stock=(3, 10), variants="size"),
    Kind("storage-basket", "basketry", "home", "round",
         "Large {community} bamboo storage basket", "កន្ត្រកឫស្សី{community}ធំ សម្រាប់ទុកដាក់",
         "A large lidded basket for clothes or harvest, woven to order.",
         "កន្ត្រកធំមានគម្រប សម្រាប់ដាក់សម្លៀកបំពាក់ ឬផលដំណាំ ធ្វើតាមការកុម្ម៉ង់។",
         (("bamboo", "cut in {place}"), ("rattan", "harvested in {place}")),
         (("splitting the bamboo", "hand"), ("weaving", "hand"), ("smoking against insects",
                                                                   "hand")),
         "Ø 50 cm, H 60 cm", (1500, 2200), (3500, 6000), DRY, mode="made_to_order",
         lead=(14, 21), capacity=(6, 10)),
    # Pottery
    Kind("water-jar", "pottery", "jars", "jar", "{community} water jar with incised bands",
         "ពាងទឹក{community} មានក្បាច់ឆ្លាក់",
         "A large jar that keeps drinking water cool; shaped by paddle and anvil and fired in "
         "the open, made to order.",
         "ពាងធំរក្សាទឹកឱ្យត្រជាក់ សូនដោយដៃ ហើយដុតនៅទីវាល ធ្វើតាមការកុម្ម៉ង់។",
         (("clay", "dug by the stream in {place}"), ("sand temper", "from the river at {place}")),
         (("preparing the clay", "hand"), ("shaping by paddle and anvil", "hand"),
          ("open firing", "hand")),
         "H 45 cm, Ø 38 cm", (5000, 7000), (3500, 6000), CLAY_CARE, mode="made_to_order",
         lead=(14, 28), capacity=(6, 12)),
    Kind("wine-jar", "pottery", "jars", "jar", "{community} rice-wine jar, one of a kind",
         "ពាងស្រា{community} (មានតែមួយ)",
         "A jar for the rice wine shared at village ceremonies, drunk through long bamboo "
         "straws; this one exists once.",
         "ពាងសម្រាប់ស្រាពាងក្នុងពិធីបុណ្យភូមិ ដែលផឹកតាមបំពង់ឫស្សី។ ពាងនេះមានតែមួយគត់។",
         (("clay", "dug by the stream in {place}"),),
         (("shaping by paddle and anvil", "hand"), ("incising the bands", "hand"),
          ("open firing", "hand")),
         "H 40 cm, Ø 30 cm", (3500, 5000), (4500, 8000), CLAY_CARE, mode="unique"),
    Kind("cooking-pot", "pottery", "pots", "pot", "{community} clay cooking pot",
         "ឆ្នាំងដី{community}",
         "A round-bottomed pot for soups and rice on a charcoal stove; food tastes of the earth.",
         "ឆ្នាំងបាតមូលសម្រាប់ស្ល ឬដាំបាយលើចង្ក្រានធ្យូង។",
         (("clay", "dug by the stream in {place}"), ("rice-husk ash", "from {place}")),
         (("preparing the clay", "hand"), ("shaping", "hand"), ("open firing", "hand")),
         "Ø 24 cm, H 18 cm", (1200, 1800), (800, 2000), CLAY_CARE, stock=(4, 12),
         variants="size"),
    Kind("pitcher", "pottery", "jars", "jar", "{community} clay water pitcher",
         "ក្អមទឹក{community}",
         "A narrow-necked pitcher; water left in it overnight is cool in the morning.",
         "ក្អមកតូច ទឹកដែលទុកពេញមួយយប់ត្រជាក់នៅពេលព្រឹក។",
         (("clay", "dug in {place}"),),
         (("shaping", "hand"), ("burnishing", "hand"), ("open firing", "hand")),
         "H 28 cm", (1400, 2000), (900, 1800), CLAY_CARE, stock=(3, 10)),
    Kind("vase", "pottery", "home", "jar", "Small burnished {community} vase",
         "ថូផ្កាតូច{community}",
         "A small vase polished with a river stone before firing.",
         "ថូផ្កាតូច ខាត់ដោយថ្មទន្លេមុនពេលដុត។",
         (("clay", "dug in {place}"),),
         (("shaping", "hand"), ("burnishing with a stone", "hand"), ("firing", "hand")),
         "H 18 cm", (500, 800), (700, 1500), CLAY_CARE, stock=(4, 15)),
    Kind("stove", "pottery", "pots", "pot", "{community} clay charcoal stove",
         "ចង្ក្រានដី{community}",
         "The household charcoal stove, with a thick clay lining that saves charcoal.",
         "ចង្ក្រានធ្យូងសម្រាប់ផ្ទះ មានស្រទាប់ដីឥដ្ឋក្រាស់ ជួយសន្សំធ្យូង។",
         (("clay", "dug in {place}"), ("rice husk", "from {place}")),
         (("moulding", "hand"), ("drying in the shade", "hand"), ("firing", "hand")),
         "Ø 30 cm, H 25 cm", (4500, 6000), (1000, 2000), CLAY_CARE, stock=(2, 8)),
    # Resin
    Kind("torches", "resin", "torches", "torch", "{community} resin torches, bundle of 10",
         "ចន្លុះជ័រ{community} ១០ដើម",
         "Rotten wood and resin rolled in dry leaves and tied with rattan: they light fires and "
         "burn long and bright.",
         "ឈើពុក និងជ័ររុំក្នុងស្លឹកស្ងួត ហើយចងដោយផ្ដៅ ប្រើបង្កាត់ភ្លើង និងឆេះបានយូរ។",
         (("liquid resin", "tapped from dipterocarp trees near {place}; trees tapped, not "
                           "felled"), ("dry leaves", "gathered in {place}")),
         (("tapping the trees", "hand"), ("mixing", "hand"), ("rolling and tying", "hand")),
         "40 cm long, 10 pieces", (900, 1300), (300, 600), RESIN_CARE, stock=(20, 60)),
    Kind("caulk", "resin", "caulk", "tree", "{community} resin boat caulk, 1 kg",
         "ជ័រផ្សារទូក{community} ១គីឡូក្រាម",
         "Resin cooked with fibre into the paste used to seal wooden boats and water baskets.",
         "ជ័រដាំជាមួយសរសៃ ធ្វើជាជ័រសម្រាប់បិទទូកឈើ និងកន្ត្រកដាក់ទឹក។",
         (("liquid resin", "tapped from dipterocarp trees near {place}; trees tapped, not "
                           "felled"),),
         (("tapping the trees", "hand"), ("cooking the resin", "hand"), ("packing", "hand")),
         "1 kg tin", (1100, 1200), (500, 900), RESIN_CARE, stock=(10, 30)),
    Kind("varnish", "resin", "varnish", "bottle", "{community} resin wood varnish",
         "ថ្នាំលាបឈើពីជ័រ{community}",
         "A clear amber varnish of filtered resin for furniture, tool handles and boats.",
         "ថ្នាំលាបពណ៌លឿងទុំ ធ្វើពីជ័រចម្រោះ សម្រាប់គ្រឿងសង្ហារិម ដងឧបករណ៍ និងទូក។",
         (("liquid resin", "tapped from dipterocarp trees near {place}; trees tapped, not "
                           "felled"),),
         (("tapping the trees", "hand"), ("filtering", "hand"), ("bottling", "machine")),
         "bottle", (300, 1100), (450, 1500), RESIN_CARE, stock=(10, 40), variants="volume"),
    Kind("incense", "resin", "incense", "incense", "{community} resin incense cones",
         "ធូបជ័រ{community}",
         "Cones of resin and fragrant bark that burn slowly with a sweet forest smell.",
         "ធូបធ្វើពីជ័រ និងសំបកឈើក្រអូប ឆេះយឺតៗ មានក្លិនព្រៃផ្អែម។",
         (("resin", "tapped near {place}; trees tapped, not felled"),
          ("fragrant bark", "gathered in {place}")),
         (("grinding", "hand"), ("shaping the cones", "hand"), ("drying", "hand")),
         "pack", (80, 220), (250, 700), RESIN_CARE, stock=(15, 50), variants="pack"),
    Kind("liquid-resin", "resin", "resin", "tree", "{community} liquid resin, 1 litre",
         "ជ័រទឹក{community} ១លីត្រ",
         "Raw liquid resin as it comes from the tree, filtered once: for your own varnish or "
         "caulk.",
         "ជ័រទឹកដូចពេលចេញពីដើម ចម្រោះម្ដង សម្រាប់ធ្វើថ្នាំលាប ឬជ័របិទទូកខ្លួនឯង។",
         (("liquid resin", "tapped from dipterocarp trees near {place}; trees tapped, not "
                           "felled"),),
         (("tapping the trees", "hand"), ("filtering", "hand")),
         "1 litre bottle", (950, 1050), (350, 700), RESIN_CARE, stock=(10, 40)),
    Kind("candle", "resin", "home", "torch", "{community} resin and beeswax candles, set of 3",
         "ទៀនជ័រ និងក្រមួនឃ្មុំ{community} ៣ដើម",
         "Candles of wild beeswax with a little resin, rolled by hand.",
         "ទៀនធ្វើពីក្រមួនឃ្មុំព្រៃ លាយជ័របន្តិច រមូរដោយដៃ។",
         (("beeswax", "from wild hives near {place}"), ("resin", "tapped near {place}")),
         (("melting", "hand"), ("rolling", "hand")),
         "20 cm, 3 pieces", (250, 350), (600, 1200), RESIN_CARE, stock=(10, 30)),
)
KIND = {k.key: k for k in KINDS}
SIZES = (("S", "small", 0.75), ("M", "medium", 1.0), ("L", "large", 1.35))
VOLUMES = (("250", "250 ml", 0.6), ("500", "500 ml", 1.0), ("1000", "1 litre", 1.8))
PACKS = (("20", "20 cones", 1.0), ("50", "50 cones", 2.2))
