"""The demo catalog: the functions that turn the kinds of pieces (``kinds``) into product rows for a group (the demo products) or in bulk (the benchmark
catalog). Everything is seeded, so the same run gives the same titles, slugs and photos.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import timedelta

from marketplace.demo_data.groups import COMMUNITY_EN, MAKERS, GroupSpec
from marketplace.demo_data.kinds import (
    COLOURS,
    COMMUNITY_SHORT_KM,
    FIBRES,
    HIGHLANDS,
    HOL,
    KINDS,
    PACKS,
    PATTERNS,
    SIZES,
    VOLUMES,
    Colour,
    Kind,
)


@dataclass
class Piece:
    """One product to insert, with its variants and the photos to draw."""

    fields: dict
    variants: list[dict] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)
    shape: str = ""
    photos: int = 1
    seed: str = ""


@dataclass(frozen=True)
class Place:
    """Where a group is, in both languages (for origins and descriptions)."""

    place: str
    village_en: str
    village_km: str
    province_en: str
    province_km: str


def _fibre(rng: random.Random, community: str) -> str:
    if community in HIGHLANDS:
        return "cotton"
    return rng.choice(("silk", "silk", "cotton"))


def _words(kind: Kind, rng: random.Random, community: str, colour: Colour) -> dict:
    fibre = _fibre(rng, community) if kind.craft == "weaving" else "cotton"
    pattern = HOL if fibre == "silk" and rng.random() < 0.4 else rng.choice(PATTERNS)
    return {
        "community": COMMUNITY_EN[community], "community_km": COMMUNITY_SHORT_KM[community],
        "colour": colour.en, "colour_km": colour.km, "fibre": fibre, "fibre_km": FIBRES[fibre],
        "pattern": pattern[0], "pattern_km": pattern[1],
    }


def _materials(kind: Kind, words: dict, place: Place) -> list[dict]:
    fibre_origin = ("raised and reeled in " + place.province_en if words["fibre"] == "silk"
                    else "grown and hand-spun in " + place.place)
    result = []
    for material, origin in kind.materials:
        result.append({
            "material": material.format(fibre=words["fibre"]),
            "origin": origin.format(place=place.place, province=place.province_en,
                                    fibre_origin=fibre_origin),
        })
    return result


def _techniques(kind: Kind, words: dict) -> list[dict]:
    spin = "reeling the silk" if words["fibre"] == "silk" else "spinning the cotton"
    return [{"step": step.format(spin=spin), "method": method}
            for step, method in kind.techniques]


def _variants(kind: Kind, rng: random.Random, price: int, sku: str,
              colour: Colour) -> list[dict]:
    if kind.variants == "colour":
        others = [c for c in COLOURS if c.key not in (colour.key, "natural")]
        chosen = [colour, *rng.sample(others, 2)]
        return [{"sku": f"{sku}-{c.key[:3].upper()}", "colour": c.en, "size": "",
                 "price_cents": price, "stock_on_hand": rng.randint(1, 6)} for c in chosen]
    table = {"size": SIZES, "volume": VOLUMES, "pack": PACKS}.get(kind.variants)
    if not table:
        return []
    return [{"sku": f"{sku}-{code}", "colour": "", "size": label,
             "price_cents": round(price * factor / 10) * 10,
             "stock_on_hand": rng.randint(1, 8)} for code, label, factor in table]


def build_piece(kind: Kind, *, rng: random.Random, community: str, place: Place,
                sku: str, now, colour: Colour | None = None, with_variants: bool | None = None,
                days_back: int = 42) -> tuple[Piece, dict]:
    """A product of ``kind`` (fields as a dict) for a group of ``community`` at ``place``."""
    colour = colour or rng.choice(COLOURS)
    words = _words(kind, rng, community, colour)
    price = round(rng.randint(*kind.price) / 50) * 50
    fields = {
        "title": kind.title.format(**words),
        "title_km": kind.title_km.format(community=words["community_km"],
                                         colour=words["colour_km"], fibre=words["fibre_km"],
                                         pattern=words["pattern_km"]),
        "craft": kind.craft, "category": kind.category,
        "materials": _materials(kind, words, place),
        "techniques": _techniques(kind, words),
        "makers": rng.sample(MAKERS[community], rng.randint(1, 3)),
        "dimensions": kind.dimensions, "weight_grams": rng.randint(*kind.weight),
        "care_notes": kind.care, "price_cents": price, "currency": "USD",
        "stock_mode": "stock", "stock_on_hand": rng.randint(*kind.stock),
        "lead_time_days": None, "monthly_capacity": None,
        "published_at": now - timedelta(days=rng.uniform(0.5, days_back)),
    }
    description = kind.description.format(fibre=words["fibre"], pattern=words["pattern"],
                                          community=words["community"],
                                          loom="a back-strap loom" if community in HIGHLANDS
                                          else "a floor loom")
    description_km = kind.description_km.format(fibre=words["fibre_km"],
                                                pattern=words["pattern_km"],
                                                community=words["community_km"])
    if kind.dyed:
        description += f" Colour: {colour.en}, from {colour.source_en}."
        description_km += f" {colour.km} ពី{colour.source_km}។"
    description += (f" Made in {place.village_en}, {place.province_en}, by "
                    f"{', '.join(fields['makers'])}.")
    description_km += f" ធ្វើនៅភូមិ{place.village_km} ខេត្ត{place.province_km}។"
    fields["description"], fields["description_km"] = description, description_km
    if kind.mode == "made_to_order":
        fields.update(stock_mode="made_to_order", stock_on_hand=0,
                      lead_time_days=rng.randint(*kind.lead),
                      monthly_capacity=rng.randint(*kind.capacity))
    elif kind.mode == "unique":
        fields["stock_on_hand"] = 1
    variants = []
    if kind.variants and (with_variants if with_variants is not None else rng.random() < 0.7):
        variants = _variants(kind, rng, price, sku, colour)
        if variants:
            fields["price_cents"] = min(v["price_cents"] for v in variants)
            if fields["stock_mode"] == "stock":
                fields["stock_on_hand"] = sum(v["stock_on_hand"] for v in variants)
            else:
                for v in variants:
                    v["stock_on_hand"] = 0
    colours = [colour.key, rng.choice([c.key for c in COLOURS if c.key != colour.key])]
    piece = Piece(fields, variants, colours, kind.shape, rng.choice((1, 1, 2, 2, 3)))
    return piece, words


def _sku_prefix(slug: str) -> str:
    return "".join(part[0] for part in slug.split("-") if part).upper()[:5]


def demo_pieces(spec: GroupSpec, place: Place, now) -> list[Piece]:
    """The group's demo products: distinct kinds of its crafts, alternating crafts."""
    rng = random.Random(f"demo/{spec.slug}")
    by_craft = {c: [k for k in KINDS if k.craft == c] for c in spec.crafts}
    for kinds in by_craft.values():
        rng.shuffle(kinds)
    order: list[Kind] = []
    while len(order) < spec.products:
        for craft in spec.crafts:
            kinds = by_craft[craft]
            order.append(kinds[len([k for k in order if k.craft == craft]) % len(kinds)])
    pieces, titles = [], set()
    for n, kind in enumerate(order[: spec.products], start=1):
        for _attempt in range(20):
            piece, _words = build_piece(kind, rng=rng, community=spec.community, place=place,
                                        sku=f"{_sku_prefix(spec.slug)}-{n:02d}", now=now)
            # The SKU follows the title, so a renamed demo piece never reuses an old SKU.
            code = hashlib.sha256(piece.fields["title"].encode()).hexdigest()[:4].upper()
            for variant in piece.variants:
                variant["sku"] = variant["sku"].replace(f"-{n:02d}-", f"-{code}-", 1)
            if piece.fields["title"] not in titles:
                break
        else:
            raise ValueError(f"{spec.slug}: too many products for its crafts' kinds")
        titles.add(piece.fields["title"])
        piece.seed = f"demo/{spec.slug}/{n}"
        pieces.append(piece)
    return pieces


# Words for the benchmark catalog: varied enough that searches return different sets.
ADJECTIVES = (("Everyday", "ប្រើប្រចាំថ្ងៃ"), ("Festival", "សម្រាប់បុណ្យ"), ("Small", "តូច"),
              ("Large", "ធំ"), ("Gift", "សម្រាប់ជាកាដូ"), ("Traditional", "បែបប្រពៃណី"),
              ("Family", "គ្រួសារ"), ("Harvest", "រដូវច្រូត"), ("Forest", "ព្រៃ"),
              ("River", "ទន្លេ"), ("Mountain", "ភ្នំ"), ("Market", "ផ្សារ"))
SENTENCES = (
    ("Each piece is slightly different, because it is made by hand.",
     "បំណែកនីមួយៗខុសគ្នាបន្តិច ព្រោះធ្វើដោយដៃ។"),
    ("Sold directly by the producer group; the makers keep the income.",
     "លក់ផ្ទាល់ដោយក្រុមផលិតករ ហើយអ្នកផលិតទទួលបានប្រាក់ចំណូល។"),
    ("Made in the dry season, between the harvests.", "ធ្វើនៅរដូវប្រាំង ក្រោយរដូវច្រូតកាត់។"),
    ("Packed in a reused rice sack for shipping.",
     "វេចខ្ចប់ក្នុងបាវអង្ករប្រើឡើងវិញ សម្រាប់ការដឹកជញ្ជូន។"),
    ("A gift that tells where it comes from.", "ជាកាដូដែលប្រាប់ពីប្រភពរបស់វា។"),
    ("Shops may ask the group for larger quantities.",
     "ហាងអាចសួរក្រុម ដើម្បីកុម្ម៉ង់ចំនួនច្រើន។"),
    ("The pattern is one the makers learnt from their mothers.",
     "ក្បាច់នេះ អ្នកផលិតបានរៀនពីម្ដាយរបស់ពួកគាត់។"),
    ("Shown at the provincial trade fair.", "បានដាក់តាំងបង្ហាញនៅពិព័រណ៍ពាណិជ្ជកម្មខេត្ត។"),
)


def generated_piece(index: int, spec: GroupSpec, place: Place, now) -> Piece:
    """Benchmark product number ``index`` for the group ``spec`` (seeded by the index)."""
    rng = random.Random(f"bench/{index}")
    kind = rng.choice([k for k in KINDS if k.craft in spec.crafts])
    piece, _words = build_piece(kind, rng=rng, community=spec.community, place=place,
                                sku=f"G{index}", now=now, with_variants=rng.random() < 0.1,
                                days_back=120)
    adjective, adjective_km = rng.choice(ADJECTIVES)
    fields = piece.fields
    title = fields["title"]
    if title.split()[0] not in COMMUNITY_EN.values():
        title = title[0].lower() + title[1:]
    fields["title"] = f"{adjective} {title}"[:160]
    fields["title_km"] = f"{fields['title_km']} {adjective_km}"[:160]
    extra = rng.sample(SENTENCES, 2)
    fields["description"] += " " + " ".join(s[0] for s in extra)
    fields["description_km"] += " " + " ".join(s[1] for s in extra)
    made_to_order = fields["stock_mode"] == "made_to_order" or rng.random() < 0.06
    if made_to_order and fields["stock_mode"] != "made_to_order":
        fields.update(stock_mode="made_to_order", stock_on_hand=0,
                      lead_time_days=rng.randint(7, 60), monthly_capacity=rng.randint(2, 20))
        for variant in piece.variants:
            variant["stock_on_hand"] = 0
    piece.seed = f"bench/{index}"
    piece.photos = rng.choice((1, 1, 2))
    return piece
