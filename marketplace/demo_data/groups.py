"""The demo producer groups: real places (official codes from marketplace.geo), stories in
English and Khmer, members and women, makers' names.

The groups are invented for the demo, except the two that registered their enterprises with
the Ministry of Commerce during the UN joint programme (the Kuoy Community Handicraft
Association and the Community Resin Business Enterprise); their figures are invented too.
"""

from dataclasses import dataclass

KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")

COMMUNITY_KM = {
    "bunong": "ជនជាតិព្នង",
    "jarai": "ជនជាតិចារ៉ាយ",
    "tampuan": "ជនជាតិទំពួន",
    "kreung": "ជនជាតិគ្រឹង",
    "kuy": "ជនជាតិកួយ",
    "khmer": "ខ្មែរ",
}
COMMUNITY_EN = {"bunong": "Bunong", "jarai": "Jarai", "tampuan": "Tampuan", "kreung": "Kreung",
                "kuy": "Kuy", "khmer": "Khmer"}

CRAFT_STORY_KM = {
    "weaving": "សមាជិកត្បាញក្រណាត់ដោយដៃ ហើយជ្រលក់ពណ៌ពីរុក្ខជាតិធម្មជាតិ។",
    "basketry": "សមាជិកត្បាញកន្ត្រកពីផ្ដៅ និងឫស្សី ដែលប្រមូលពីព្រៃសហគមន៍។",
    "pottery": "សមាជិកធ្វើគ្រឿងស្មូនពីដីឥដ្ឋក្នុងតំបន់ ហើយដុតនៅទីវាល។",
    "resin": "សមាជិកចោះយកជ័រពីដើមទាល ដោយមិនកាប់ដើមឈើ ហើយធ្វើចន្លុះ ជ័រផ្សារទូក និងធូប។",
}

MAKERS = {
    "jarai": ("Rochom Nhak", "Siu H'Lan", "Ksor Phoeun", "Rmah Thy", "Puih Sreyna"),
    "tampuan": ("Lak Sam", "Kva Dol", "Tem Nham", "Sev Kamsan", "Phav Chanry"),
    "kreung": ("Ral Pheap", "Sok Nheang", "Chreng Kamvan", "Bou Lin", "Nhem Sary"),
    "bunong": ("Klang Srey", "Mao Sophy", "Chhoeurn Nhoel", "Ploeu Dam", "Sreng Pheuy"),
    "kuy": ("Sreymom Kuy", "Chanthy Ouk", "Phan Yeun", "Sok Lina", "Yim Sophal"),
    "khmer": ("Kunthea Chea", "Bopha Heng", "Sophea Mao", "Chenda Roth", "Navy Sok"),
}


@dataclass(frozen=True)
class GroupSpec:
    slug: str
    name: str
    name_km: str
    community: str
    crafts: tuple[str, ...]
    district: str  # official 4-digit code; the commune and village are looked up in geo
    place: str  # the name people use for the area, for material origins
    phone: str
    members: int
    women: int
    story: str
    story_km_extra: str = ""
    commune: str | None = None  # 6-digit code; default: the district's first commune
    moc_registration: str | None = None
    products: int = 6

    @property
    def province(self) -> str:
        return self.district[:2]


GROUPS: tuple[GroupSpec, ...] = (
    # Ratanakiri (16)
    GroupSpec(
        "oyadav-jarai-weavers", "O'Yadav Jarai Weavers", "ក្រុមត្បាញជនជាតិចារ៉ាយអូរយ៉ាដាវ",
        "jarai", ("weaving", "basketry"), "1607", "O'Yadav", "+85512417385", 26, 20,
        "Jarai women near the Vietnamese border weave on back-strap looms between the rice "
        "harvests. Their cloth keeps the red, black and white bands of their grandmothers, "
        "and the men of the village split rattan for the back-baskets the group also sells.",
        "ក្រណាត់របស់ពួកគាត់រក្សាឆ្នូតក្រហម ខ្មៅ និងស ដូចជំនាន់ជីដូនជីតា។", products=7),
    GroupSpec(
        "lumphat-tampuan-basket-makers", "Lumphat Tampuan Basket Makers",
        "ក្រុមត្បាញកន្ត្រកជនជាតិទំពួនលំផាត់", "tampuan", ("basketry",), "1605", "Lumphat",
        "+85597338124", 18, 12,
        "Along the Srepok river, Tampuan families make the tall back-baskets that carry rice, "
        "firewood and children to the fields. The group sells in Banlung market and now online.",
        "កន្ត្រកស្ពាយរបស់ពួកគាត់ប្រើសម្រាប់ដឹកស្រូវ អុស និងកូនតូចៗទៅចម្ការ។"),
    GroupSpec(
        "yeak-laom-tampuan-weaving", "Yeak Laom Tampuan Weaving Group",
        "ក្រុមត្បាញជនជាតិទំពួនយក្សឡោម", "tampuan", ("weaving",), "1602", "Yeak Laom",
        "+855882649137", 22, 17,
        "Near the crater lake of Yeak Laom, Tampuan weavers spin their own cotton and dye it "
        "with indigo and forest bark. A ceremonial skirt here takes about two months.",
        "សំពត់ពិធីមួយ ត្រូវការពេលប្រហែលពីរខែ។", commune="160203", products=7),
    GroupSpec(
        "ou-chum-kreung-crafts", "Ou Chum Kreung Crafts Group", "ក្រុមសិប្បកម្មជនជាតិគ្រឹងអូរជុំ",
        "kreung", ("weaving", "basketry"), "1606", "Ou Chum", "+85517552067", 20, 14,
        "Kreung women weave narrow strips of cotton with fine white motifs and sew them into "
        "skirts and bags; their husbands and sons weave rattan.",
        "ស្ត្រីគ្រឹងត្បាញក្រណាត់កប្បាសមានក្បាច់សតូចៗ។"),
    GroupSpec(
        "andoung-meas-jarai-potters", "Andoung Meas Jarai Potters", "ក្រុមស្មូនជនជាតិចារ៉ាយអណ្ដូងមាស",
        "jarai", ("pottery",), "1601", "Andoung Meas", "+85592781540", 15, 11,
        "Jarai potters shape jars with a paddle and anvil, without a wheel, and fire them in the "
        "open under rice straw. Every jar comes out a little different.",
        "ពួកគាត់សូនពាងដោយដៃ គ្មានកង្ហា ហើយដុតក្រោមចំបើង។"),
    # Mondulkiri (11)
    GroupSpec(
        "pu-chrey-bunong-weavers", "Pu Chrey Bunong Weavers", "ក្រុមត្បាញជនជាតិព្នងពូជ្រៃ",
        "bunong", ("weaving",), "1104", "Pu Chrey", "+85511620348", 30, 24,
        "Bunong weavers of Pu Chrey make the long black and red skirts worn at buffalo "
        "ceremonies, and lighter scarves for visitors to Sen Monorom.",
        "ពួកគាត់ត្បាញសំពត់ខ្មៅ និងក្រហមសម្រាប់ពិធីបុណ្យ។", commune="110402", products=7),
    GroupSpec(
        "dak-dam-bunong-basketry", "Dak Dam Bunong Basketry Group",
        "ក្រុមត្បាញកន្ត្រកជនជាតិព្នងដាក់ដាំ", "bunong", ("basketry",), "1103", "Dak Dam",
        "+85577403916", 17, 11,
        "In the hills of Dak Dam, Bunong families weave rattan and bamboo into baskets for "
        "sticky rice, for carrying and for winnowing, in patterns each family keeps.",
        "គ្រួសារនីមួយៗរក្សាក្បាច់កន្ត្រករបស់ខ្លួន។", commune="110301"),
    GroupSpec(
        "keo-seima-bunong-resin", "Keo Seima Bunong Resin Tappers", "ក្រុមចោះជ័រជនជាតិព្នងកែវសីមា",
        "bunong", ("resin",), "1101", "Keo Seima", "+85569215087", 24, 15,
        "Bunong families have tapped the same dipterocarp trees for generations: a hollow is "
        "cut and burnt at the foot of the trunk and the resin collected every few days, so the "
        "forest stands. The group turns it into torches, caulk and varnish.",
        "ដើមឈើត្រូវបានចោះយកជ័រ មិនមែនកាប់ចោលទេ។"),
    # Preah Vihear (13)
    GroupSpec(
        "community-resin-business-enterprise", "Community Resin Business Enterprise",
        "សហគ្រាសអាជីវកម្មជ័រសហគមន៍", "kuy", ("resin",), "1305", "Rovieng",
        "+85516338205", 40, 27,
        "Kuy resin tappers of Rovieng joined together to sell their resin at a fair price "
        "instead of to passing traders, and registered their enterprise with the Ministry of "
        "Commerce. They tap, filter and package the resin themselves and make torches and "
        "incense with it.",
        "សហគ្រាសបានចុះបញ្ជីនៅក្រសួងពាណិជ្ជកម្ម ដើម្បីលក់ជ័រក្នុងតម្លៃសមរម្យ។",
        moc_registration="MOC-PVH-2011-0312"),
    GroupSpec(
        "prame-kuy-weavers", "Prame Kuy Weavers", "ក្រុមត្បាញជនជាតិកួយព្រាម", "kuy",
        ("weaving", "basketry"), "1307", "Prame", "+85510774622", 21, 17,
        "In Prame, a Kuy village once known for its blacksmiths, women weave cotton sarongs "
        "and kramas, and plait rice baskets in the dry season.",
        "ស្ត្រីត្បាញសំពត់ និងក្រមាកប្បាស ហើយត្បាញកន្ត្រកនៅរដូវប្រាំង។", commune="130705"),
    GroupSpec(
        "chhaeb-khmer-potters", "Chhaeb Khmer Potters", "ក្រុមស្មូនខ្មែរឆែប", "khmer",
        ("pottery",), "1302", "Chhaeb", "+85593418270", 14, 9,
        "Khmer potters of Chhaeb make cooking pots and charcoal stoves for their neighbours, "
        "and water jars that keep water cool through the hot season.",
        "ពាងទឹករបស់ពួកគាត់រក្សាទឹកឱ្យត្រជាក់ពេញរដូវក្ដៅ។"),
    # Kampong Thom (06)
    GroupSpec(
        "kuoy-community-handicraft-association", "Kuoy Community Handicraft Association",
        "សមាគមសិប្បកម្មសហគមន៍កួយ", "kuy", ("weaving", "basketry"), "0605", "Prasat Sambour",
        "+85512345601", 48, 36,
        "Kuy families around Prasat Sambour have woven silk and cotton and plaited rattan for "
        "generations. The association was among the first producer groups to register its "
        "enterprise with the Ministry of Commerce. Its members dye with lac, prohut and "
        "indigo, weave on floor looms under their houses, and keep what their work earns.",
        "សមាគមបានចុះបញ្ជីសហគ្រាសនៅក្រសួងពាណិជ្ជកម្ម។ សមាជិកជ្រលក់ពណ៌ដោយល័ក្ខ ប្រហូត និងត្រំ។",
        moc_registration="MOC-KTM-2011-0147", products=8),
    GroupSpec(
        "santuk-khmer-silk-weavers", "Santuk Khmer Silk Weavers", "ក្រុមត្បាញសូត្រខ្មែរសន្ទុក",
        "khmer", ("weaving",), "0607", "Santuk", "+85581236459", 35, 29,
        "Khmer weavers of Santuk raise silkworms on mulberry leaves, reel the silk by hand and "
        "tie and dye the threads before weaving (hol), so the pattern appears as the cloth "
        "grows.",
        "ពួកគាត់ចិញ្ចឹមនាង ស្រាវសូត្រដោយដៃ ហើយចងក្បាច់ហូលមុនពេលត្បាញ។"),
    GroupSpec(
        "sandan-kuy-forest-crafts", "Sandan Kuy Forest Crafts", "ក្រុមសិប្បកម្មព្រៃឈើជនជាតិកួយសណ្ដាន់",
        "kuy", ("basketry", "resin"), "0606", "Sandan", "+85515920731", 19, 13,
        "Kuy families at the edge of the Prey Lang forest weave rattan and bamboo and tap "
        "resin trees; they patrol the forest with their neighbours so the trees stay standing.",
        "ពួកគាត់ល្បាតព្រៃជាមួយអ្នកភូមិជិតខាង ដើម្បីការពារដើមឈើ។"),
    GroupSpec(
        "kampong-svay-khmer-pottery", "Kampong Svay Khmer Pottery Group",
        "ក្រុមស្មូនខ្មែរកំពង់ស្វាយ", "khmer", ("pottery",), "0602", "Kampong Svay",
        "+85570468153", 16, 12,
        "Khmer potters in Kampong Svay dig clay from the rice fields after the harvest and shape "
        "jars, pitchers and small vases in their yards.",
        "ពួកគាត់ជីកដីឥដ្ឋពីវាលស្រែក្រោយរដូវច្រូតកាត់។"),
)


def km_number(n: int) -> str:
    return str(n).translate(KHMER_DIGITS)


def story_km(spec: GroupSpec, district_km: str, province_km: str) -> str:
    """The Khmer story: who, where, the craft, then the group's own sentence and its size."""
    crafts = " ".join(CRAFT_STORY_KM[c] for c in spec.crafts)
    return (f"{spec.name_km} គឺជាក្រុមផលិតករ{COMMUNITY_KM[spec.community]} "
            f"នៅស្រុក{district_km} ខេត្ត{province_km}។ {crafts} {spec.story_km_extra} "
            f"ក្រុមមានសមាជិក {km_number(spec.members)} នាក់ "
            f"ក្នុងនោះស្ត្រី {km_number(spec.women)} នាក់។").replace("  ", " ")


def story_en(spec: GroupSpec) -> str:
    return (f"{spec.story} The group has {spec.members} members, {spec.women} of them women, "
            "who keep the income from their work.")
