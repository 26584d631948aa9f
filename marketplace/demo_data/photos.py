"""Demo product photos drawn with Pillow: no downloads, nothing binary in the repository.

Each picture is a warm background with simple shapes that suggest the craft: woven stripes
and diamonds for weaving, an interlaced weave or a basket for basketry, a jar for pottery,
drops, a bottle or torches for resin. The drawing is seeded by a string, so the same product
always gets the same bytes and therefore the same content hash in the media storage.
"""

import io
import random

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 800, 600
RGB = tuple[int, int, int]

BACKGROUNDS: tuple[RGB, ...] = (
    (241, 228, 205), (236, 214, 180), (229, 200, 168), (245, 222, 196), (232, 221, 200),
    (222, 196, 160), (240, 210, 170), (226, 209, 187),
)

# Dye colours named in the demo data (natural dyes of the four provinces).
COLOURS: dict[str, RGB] = {
    "indigo": (38, 56, 110),
    "red": (158, 38, 36),
    "black": (36, 31, 30),
    "natural": (224, 205, 170),
    "yellow": (214, 162, 38),
    "green": (70, 110, 60),
    "brown": (112, 72, 44),
    "white": (240, 236, 226),
}
RATTAN = ((196, 152, 92), (172, 124, 70), (214, 176, 116), (150, 104, 58))
CLAY = ((170, 92, 58), (150, 80, 52), (186, 118, 76), (120, 72, 50), (96, 70, 60))
RESIN = ((196, 128, 30), (170, 98, 24), (214, 156, 52), (140, 80, 20))


def _shade(colour: RGB, factor: float) -> RGB:
    return tuple(max(0, min(255, round(c * factor))) for c in colour)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _background(rng: random.Random) -> tuple[Image.Image, ImageDraw.ImageDraw, RGB]:
    base = rng.choice(BACKGROUNDS)
    image = Image.new("RGB", (WIDTH, HEIGHT), base)
    draw = ImageDraw.Draw(image)
    lower = _shade(base, 0.82)
    for y in range(0, HEIGHT, 4):  # a soft vertical light
        draw.rectangle((0, y, WIDTH, y + 4), fill=_mix(base, lower, y / HEIGHT))
    table = _shade(base, 0.7)
    draw.rectangle((0, int(HEIGHT * 0.82), WIDTH, HEIGHT), fill=table)
    return image, draw, base


def _diamond(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill: RGB) -> None:
    draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=fill)


def _textile(draw, rng, box, colours: list[RGB], motif: RGB) -> None:
    """Horizontal woven bands with a row of diamonds or zigzags in the wider ones."""
    x0, y0, x1, y1 = box
    y = y0
    while y < y1:
        band = rng.choice((6, 10, 14, 24, 40))
        colour = rng.choice(colours)
        bottom = min(y1, y + band)
        draw.rectangle((x0, y, x1, bottom), fill=colour)
        for x in range(int(x0), int(x1), 6):  # the weft shows as fine ticks
            draw.line((x, y, x, bottom), fill=_shade(colour, 0.9), width=1)
        if band >= 24:
            r = band / 2 - 3
            step = int(r * 2.6)
            for cx in range(int(x0 + r + 4), int(x1 - r), max(step, 8)):
                if rng.random() < 0.5:
                    _diamond(draw, cx, y + band / 2, r, motif)
                    _diamond(draw, cx, y + band / 2, r / 2.5, colour)
                else:
                    draw.line([(cx - r, y + band / 2 + r / 2), (cx, y + band / 2 - r / 2),
                               (cx + r, y + band / 2 + r / 2)], fill=motif, width=3)
        y = bottom


def _weaving(image, draw, rng, colours: list[RGB], view: int, shape: str) -> None:
    motif = rng.choice([c for c in (COLOURS["yellow"], COLOURS["white"], COLOURS["red"],
                                    COLOURS["natural"]) if c not in colours[:1]])
    if view == 1:  # a close view of the pattern
        _textile(draw, rng, (40, 40, WIDTH - 40, int(HEIGHT * 0.8)), colours, motif)
    elif view == 2:  # folded: three stacked layers
        for i in range(3):
            top = 150 + i * 90
            box = (160 - i * 20, top, 640 + i * 20, top + 100)
            draw.rectangle((box[0] + 6, box[1] + 8, box[2] + 6, box[3] + 8),
                           fill=_shade(colours[0], 0.45))
            _textile(draw, rng, box, colours, motif)
    elif shape == "bag":  # a shoulder bag with its strap
        draw.line([(250, 250), (300, 60), (500, 60), (550, 250)], fill=_shade(colours[0], 0.7),
                  width=16, joint="curve")
        box = (220, 230, 580, 500)
        draw.rectangle((box[0] + 8, box[1] + 10, box[2] + 8, box[3] + 10),
                       fill=_shade(colours[0], 0.4))
        _textile(draw, rng, box, colours, motif)
        for x in range(box[0] + 10, box[2] - 6, 14):
            draw.line((x, box[3], x, box[3] + 26), fill=motif, width=4)
    else:  # the cloth laid flat, with a fringe
        box = (110, 70, 690, 440)
        draw.rectangle((box[0] + 10, box[1] + 12, box[2] + 10, box[3] + 12),
                       fill=_shade(colours[0], 0.4))
        _textile(draw, rng, box, colours, motif)
        for x in range(box[0] + 4, box[2], 9):
            draw.line((x, box[3], x + rng.randint(-3, 3), box[3] + 34), fill=colours[0], width=3)


def _weave_grid(draw, box, colours: list[RGB], cell: int) -> None:
    """Over-under interlacing: alternate horizontal and vertical strips per cell."""
    x0, y0, x1, y1 = box
    light, dark = colours[0], colours[1]
    for row, y in enumerate(range(int(y0), int(y1) - cell + 1, cell)):
        for col, x in enumerate(range(int(x0), int(x1) - cell + 1, cell)):
            over = (row + col) % 2 == 0
            fill = light if over else dark
            draw.rectangle((x, y, min(x + cell - 2, x1), min(y + cell - 2, y1)), fill=fill)
            if over:
                draw.line((x + 3, y + cell // 2, x + cell - 5, y + cell // 2),
                          fill=_shade(fill, 0.85), width=2)
            else:
                draw.line((x + cell // 2, y + 3, x + cell // 2, y + cell - 5),
                          fill=_shade(fill, 0.85), width=2)


def _basket_body(image, draw, strips, accent, top_w, bottom_w, top_y, bottom_y) -> None:
    cx = WIDTH // 2
    draw.ellipse((cx - bottom_w / 2 - 20, bottom_y - 18, cx + bottom_w / 2 + 20, bottom_y + 18),
                 fill=_shade(strips[1], 0.45))
    body = Image.new("RGB", (WIDTH, HEIGHT))
    _weave_grid(ImageDraw.Draw(body), (0, 0, WIDTH, HEIGHT), strips, 22)
    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    ImageDraw.Draw(mask).polygon([(cx - top_w / 2, top_y), (cx + top_w / 2, top_y),
                                  (cx + bottom_w / 2, bottom_y), (cx - bottom_w / 2, bottom_y)],
                                 fill=255)
    image.paste(body, (0, 0), mask)
    draw.rectangle((cx - top_w / 2 - 8, top_y - 10, cx + top_w / 2 + 8, top_y + 12),
                   fill=_shade(strips[0], 0.8))
    for k in range(2):  # coloured bands woven in
        y = top_y + (bottom_y - top_y) * (0.3 + 0.3 * k)
        half = top_w / 2 - (top_w - bottom_w) / 2 * ((y - top_y) / (bottom_y - top_y))
        draw.rectangle((cx - half, y, cx + half, y + 10), fill=accent)


def _basketry(image, draw, rng, colours: list[RGB], view: int, shape: str) -> None:
    strips = [rng.choice(RATTAN), rng.choice(RATTAN)]
    if strips[0] == strips[1]:
        strips[1] = _shade(strips[0], 0.75)
    accent = colours[0]
    cx, bottom_y = WIDTH // 2, int(HEIGHT * 0.86)
    if view == 1:  # close view of the weave
        _weave_grid(draw, (40, 40, WIDTH - 40, int(HEIGHT * 0.8)), strips, rng.choice((28, 36)))
    elif view == 2 and shape == "tray":  # the tray seen from the side
        _basket_body(image, draw, strips, accent, 560, 500, 400, bottom_y)
    elif shape == "tray" or view == 2:  # seen from above
        draw.ellipse((130, 50, 670, 560), fill=_shade(strips[1], 0.5))
        body = Image.new("RGB", (WIDTH, HEIGHT))
        _weave_grid(ImageDraw.Draw(body), (0, 0, WIDTH, HEIGHT), strips, 18)
        mask = Image.new("L", (WIDTH, HEIGHT), 0)
        ImageDraw.Draw(mask).ellipse((150, 60, 650, 540), fill=255)
        image.paste(body, (0, 0), mask)
        draw.ellipse((150, 60, 650, 540), outline=_shade(strips[0], 0.7), width=14)
        draw.ellipse((170, 80, 630, 520), outline=accent, width=5)
    elif shape == "back":  # tall, narrow at the foot, with shoulder straps
        _basket_body(image, draw, strips, accent, 340, 200, 110, bottom_y)
        strap = _shade(strips[1], 0.55)
        for side in (-1, 1):
            x = cx + side * 70
            draw.line([(x, 120), (x + side * 40, 40), (x + side * 110, 60)], fill=strap,
                      width=10, joint="curve")
    else:  # a wide basket with a lid
        _basket_body(image, draw, strips, accent, 420, 330, 230, bottom_y)
        lid = _shade(strips[0], 0.9)
        draw.pieslice((cx - 240, 140, cx + 240, 330), 180, 360, fill=lid)
        draw.rectangle((cx - 240, 228, cx + 240, 242), fill=_shade(lid, 0.75))
        draw.ellipse((cx - 22, 120, cx + 22, 160), fill=accent)


def _jar(draw, cx: int, base_y: int, w: int, h: int, clay: RGB, bands: RGB, shape: int) -> None:
    body_top = base_y - h
    neck_w = w * (0.35 if shape == 0 else 0.6)
    draw.ellipse((cx - w / 2 - 10, base_y - 16, cx + w / 2 + 10, base_y + 14),
                 fill=_shade(clay, 0.35))
    draw.ellipse((cx - w / 2, body_top + h * 0.18, cx + w / 2, base_y), fill=clay)
    draw.rectangle((cx - neck_w / 2, body_top, cx + neck_w / 2, body_top + h * 0.3), fill=clay)
    draw.ellipse((cx - neck_w / 2 - 14, body_top - 12, cx + neck_w / 2 + 14, body_top + 14),
                 fill=_shade(clay, 0.85))
    draw.ellipse((cx - neck_w / 2 + 2, body_top - 6, cx + neck_w / 2 - 2, body_top + 8),
                 fill=_shade(clay, 0.45))
    highlight = _shade(clay, 1.2)
    draw.arc((cx - w / 2 + 20, body_top + h * 0.25, cx + w / 2 - 20, base_y - 10), 190, 240,
             fill=highlight, width=8)
    for k in range(3):  # incised bands
        y = body_top + h * (0.4 + 0.1 * k)
        draw.arc((cx - w / 2 + 4, y - 30, cx + w / 2 - 4, y + 30), 20, 160, fill=bands, width=3)


def _pottery(image, draw, rng, colours: list[RGB], view: int, shape: str) -> None:
    clay = rng.choice(CLAY)
    bands = _shade(clay, 0.6) if rng.random() < 0.5 else colours[0]
    base_y = int(HEIGHT * 0.88)
    if view == 1:  # a group of three
        for cx, w, h in ((220, 200, 260), (560, 230, 320), (390, 260, 400)):
            _jar(draw, cx, base_y, w, h, _shade(clay, rng.uniform(0.85, 1.1)), bands,
                 rng.randint(0, 1))
    elif view == 2:  # the surface up close
        draw.rectangle((0, 0, WIDTH, HEIGHT), fill=clay)
        for _ in range(260):
            x, y = rng.randint(0, WIDTH), rng.randint(0, HEIGHT)
            r = rng.randint(2, 7)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=_shade(clay, rng.uniform(0.8, 1.15)))
        for k in range(5):
            y = 80 + k * 100
            draw.line([(x, y + 20 * ((x // 40) % 2)) for x in range(0, WIDTH + 40, 40)],
                      fill=bands, width=5)
    elif shape == "pot":  # low and wide, open mouth
        _jar(draw, WIDTH // 2, base_y, rng.randint(380, 440), rng.randint(260, 300), clay,
             bands, 1)
    else:
        _jar(draw, WIDTH // 2, base_y, rng.randint(300, 360), rng.randint(400, 450), clay,
             bands, 0)


def _drop(draw, cx: float, cy: float, r: float, fill: RGB) -> None:
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    draw.polygon([(cx - r * 0.92, cy - r * 0.35), (cx + r * 0.92, cy - r * 0.35),
                  (cx, cy - r * 2.3)], fill=fill)
    draw.ellipse((cx - r * 0.45, cy - r * 0.5, cx - r * 0.1, cy - r * 0.1),
                 fill=_shade(fill, 1.35))


def _tree(draw, rng, amber: RGB, base_y: int) -> None:
    """Drops running down a tapped trunk."""
    bark = rng.choice(((98, 78, 60), (120, 96, 72), (84, 70, 58)))
    draw.rectangle((250, 0, 550, base_y), fill=bark)
    for x in range(262, 550, 18):
        draw.line((x, 0, x + rng.randint(-6, 6), base_y), fill=_shade(bark, 0.8), width=4)
    draw.pieslice((330, 330, 470, 470), 0, 180, fill=(40, 28, 20))  # the tapping hollow
    for _ in range(rng.randint(5, 8)):
        _drop(draw, rng.randint(290, 510), rng.randint(120, 420), rng.randint(12, 24),
              _shade(amber, rng.uniform(0.85, 1.1)))


def _bottle(draw, rng, amber: RGB, accent: RGB, base_y: int) -> None:
    glass = _shade(amber, 0.8)
    draw.rectangle((330, 180, 470, base_y), fill=glass)
    draw.rectangle((372, 120, 428, 182), fill=glass)
    draw.rectangle((365, 96, 435, 124), fill=accent)
    draw.rectangle((345, 300, 455, 390), fill=(240, 232, 214))
    draw.rectangle((345, 330, 455, 340), fill=accent)
    for cx in (180, 240, 580, 640):
        _drop(draw, cx, base_y - 30, rng.randint(18, 28), amber)


def _torches(draw, rng, amber: RGB, accent: RGB, base_y: int) -> None:
    """Torches wrapped in leaves, bound with strips."""
    leaf = rng.choice(((132, 120, 70), (150, 132, 84), (118, 104, 64)))
    for i in range(rng.randint(5, 7)):
        x = 170 + i * 75
        draw.rounded_rectangle((x, 90 + (i % 2) * 20, x + 54, base_y), radius=20, fill=leaf)
        for y in range(130, base_y, 70):
            draw.rectangle((x - 2, y, x + 56, y + 8), fill=accent)
        _drop(draw, x + 27, 95 + (i % 2) * 20, 16, amber)


def _cones(draw, rng, amber: RGB, accent: RGB, base_y: int) -> None:
    """Incense cones on a dish, with a thread of smoke."""
    draw.ellipse((170, base_y - 70, 630, base_y + 20), fill=accent)
    draw.ellipse((190, base_y - 60, 610, base_y + 4), fill=_shade(accent, 1.3))
    for i in range(5):
        x = 240 + i * 80
        tone = _shade(amber, rng.uniform(0.6, 0.9))
        draw.polygon([(x - 32, base_y - 20), (x + 32, base_y - 20), (x, base_y - 120)], fill=tone)
    draw.line([(400 + 18 * ((y // 30) % 2), y) for y in range(120, base_y - 120, 30)],
              fill=(250, 248, 240), width=4, joint="curve")


RESIN_VIEWS = {"bottle": ("bottle", "tree", "torch"), "torch": ("torch", "tree", "bottle"),
               "incense": ("incense", "tree", "torch")}


def _resin(image, draw, rng, colours: list[RGB], view: int, shape: str) -> None:
    amber = rng.choice(RESIN)
    base_y = int(HEIGHT * 0.86)
    picture = RESIN_VIEWS.get(shape, ("tree", "bottle", "torch"))[view]
    if picture == "tree":
        _tree(draw, rng, amber, base_y)
    else:
        {"bottle": _bottle, "torch": _torches, "incense": _cones}[picture](
            draw, rng, amber, colours[0], base_y)


DRAWERS = {"weaving": _weaving, "basketry": _basketry, "pottery": _pottery, "resin": _resin}
RESIN_TEXT = {"tree": "resin running from a tapped tree", "bottle": "the resin in a bottle",
              "torch": "resin torches bound in leaves", "incense": "incense cones on a dish"}


def describe(craft: str, shape: str, view: int) -> str:
    """What photo ``view`` shows beyond the piece itself, for its alt text ("" for view 0)."""
    view %= 3
    if view == 0:
        return ""
    if craft == "weaving":
        return ("close view of the woven pattern", "folded")[view - 1]
    if craft == "basketry":
        if view == 1:
            return "close view of the weave"
        return "seen from the side" if shape == "tray" else "seen from above"
    if craft == "pottery":
        return ("with two other pieces of the group", "close view of the clay")[view - 1]
    return RESIN_TEXT[RESIN_VIEWS.get(shape, ("tree", "bottle", "torch"))[view]]


def draw(craft: str, colours: list[str], seed: str, view: int = 0, shape: str = "") -> bytes:
    """A PNG of 800x600 suggesting ``craft`` in ``colours``; the same seed, the same bytes.

    ``view`` 0 is the whole piece (``shape`` says which: a bag, a back-basket, a tray, a pot,
    a bottle, torches, incense), 1 a close view, 2 another angle.
    """
    rng = random.Random(f"{seed}/{view}")
    image, canvas, _base = _background(rng)
    palette = [COLOURS.get(name, COLOURS["natural"]) for name in colours] or [COLOURS["indigo"]]
    if len(palette) == 1:
        palette.append(COLOURS["natural"] if palette[0] != COLOURS["natural"]
                       else COLOURS["brown"])
    DRAWERS[craft](image, canvas, rng, palette, view % 3, shape)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()
