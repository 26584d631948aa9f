"""Check an uploaded photo by its content and make its renditions.

Accepted: JPEG, PNG, WebP, at most 15 MB and ``max_image_pixels`` (40 megapixels by
default). The photo is turned upright (EXIF orientation) and re-encoded without any
metadata, so GPS positions of villages never leave the phone. Renditions: WebP 320, 640 and
1280 px wide and one JPEG 1280 px fallback, keyed by the SHA-256 of the original bytes.

Memory stays small whatever the photo: the pixel count is checked from the header before
anything is decoded; a JPEG is decoded at a reduced scale (libjpeg draft mode) just large
enough for the 1280 px rendition; PNG and WebP cannot be decoded reduced, so one that would
need more than ``image_decode_budget_bytes`` is refused with a clear message. The decoded
image is then reduced and flattened strip by strip, never copied in full size.
"""

import hashlib
import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.media.storage import ImageLimits, Storage

MAX_BYTES = 15 * 1024 * 1024
FORMATS = {"JPEG", "PNG", "WEBP"}
WIDTHS = (320, 640, 1280)
FALLBACK_WIDTH = 1280
BYTES_PER_PIXEL = 4  # Pillow keeps RGB, RGBA, CMYK... in 32 bits per pixel
# libwebp decodes through its own canvases and Pillow copies the result twice more
WEBP_COPIES = 4
STRIP_ROWS = 256  # non-RGB images are flattened this many rows at a time
ORIENTATION = 0x0112
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class ProcessedImage:
    content_hash: str
    width: int
    height: int


def rendition_key(content_hash: str, width: int, ext: str = "webp") -> str:
    return f"{content_hash[:2]}/{content_hash}-{width}.{ext}"


def _fail(message: str, field: str = "photo") -> ValidationFailed:
    return ValidationFailed({field: message})


def _too_many_pixels(limits: ImageLimits, field: str) -> ValidationFailed:
    megapixels = f"{limits.max_pixels / 1_000_000:g}"
    return _fail(_("The photo has more than %(n)s megapixels.", n=megapixels), field)


def open_checked(data: bytes, field: str = "photo",
                 limits: ImageLimits | None = None) -> Image.Image:
    """The photo opened but not decoded yet (size, format and integrity checked from the
    file), or ValidationFailed naming ``field``."""
    limits = limits or ImageLimits()
    if len(data) > MAX_BYTES:
        raise _fail(_("The photo is larger than 15 MB."), field)
    if not data:
        raise _fail(_("Choose a photo to upload."), field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in FORMATS:
                raise _fail(_("Upload a JPEG, PNG or WebP photo."), field)
            if probe.width * probe.height > limits.max_pixels:
                raise _too_many_pixels(limits, field)
            probe.verify()  # catches some truncated and corrupt files without decoding
            return Image.open(io.BytesIO(data))
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(limits, field) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _fail(_("This file is not a photo we can read (JPEG, PNG or WebP)."), field) from exc


def _swaps_axes(orientation: int) -> bool:
    return orientation in (5, 6, 7, 8)


def _upright_width(image: Image.Image, orientation: int) -> int:
    return image.height if _swaps_axes(orientation) else image.width


def _coefficient_bytes(image: Image.Image) -> int:
    """A progressive JPEG keeps every DCT coefficient of the full image (2 bytes each)
    while it is decoded, whatever the scale; a baseline JPEG streams."""
    if image.format != "JPEG" or not image.info.get("progressive"):
        return 0
    layers = getattr(image, "layer", None) or [("", 1, 1, 0)]
    h_max = max(h for _, h, _, _ in layers)
    v_max = max(v for _, _, v, _ in layers)
    return 2 * sum(math.ceil(image.width * h / h_max) * math.ceil(image.height * v / v_max)
                   for _, h, v, _ in layers)


def _reduction(image: Image.Image, orientation: int) -> int:
    """The integer factor that leaves the upright width at 1280 px or more (1: none)."""
    return max(1, _upright_width(image, orientation) // FALLBACK_WIDTH)


def _decoded(image: Image.Image, orientation: int, field: str,
             limits: ImageLimits) -> Image.Image:
    """``image`` decoded, a JPEG at the smallest scale still wide enough for the largest
    rendition; refused when decoding and flattening would need more than the budget."""
    cost = _coefficient_bytes(image)
    if image.format == "JPEG":
        scale = _reduction(image, orientation)
        image.draft(None, (max(1, image.width // scale), max(1, image.height // scale)))
    pixels = image.width * image.height
    cost += pixels * BYTES_PER_PIXEL * (WEBP_COPIES if image.format == "WEBP" else 1)
    factor = _reduction(image, orientation)
    if factor > 1 or image.mode != "RGB":  # the reduced RGB copy made next
        cost += math.ceil(image.width / factor) * math.ceil(image.height / factor) * 4
    if cost > limits.decode_budget_bytes:
        raise _fail(_("This photo is too large to process in this format: save it as a "
                      "standard JPEG or make it smaller."), field)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise _fail(_("This file is not a photo we can read (JPEG, PNG or WebP)."), field) from exc
    return image


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba)
        return background
    return image.convert("RGB")


def _reduced_rgb(image: Image.Image, factor: int) -> Image.Image:
    """An RGB copy ``factor`` times smaller (transparency on white); a non-RGB image is
    converted a strip at a time so no second full-size copy ever exists."""
    if image.mode == "RGB":
        return image.reduce(factor) if factor > 1 else image
    width, height = image.size
    out = Image.new("RGB", (math.ceil(width / factor), math.ceil(height / factor)))
    rows = max(1, STRIP_ROWS // factor) * factor
    for top in range(0, height, rows):
        strip = _flatten(image.crop((0, top, width, min(height, top + rows))))
        out.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    return out


def _resized(image: Image.Image, width: int, full: tuple[int, int],
             swapped: bool = False) -> Image.Image:
    """``width`` px wide once upright, with the proportions of the original (``full``, in
    the image's orientation); as it is when not wider. ``swapped``: not turned yet, so its
    height is the upright width."""
    if swapped:
        if image.height <= width:
            return image
        size = (max(1, round(full[0] * width / full[1])), width)
    else:
        if image.width <= width:
            return image
        size = (width, max(1, round(full[1] * width / full[0])))
    return image.resize(size, Image.Resampling.LANCZOS)


def _upright(data: bytes, field: str, limits: ImageLimits) -> tuple[Image.Image, int, int]:
    """The photo turned upright, in RGB, at least 1280 px wide if it was (never much wider),
    and the upright size of the original."""
    image = open_checked(data, field, limits)
    orientation = image.getexif().get(ORIENTATION, 1) if image.format == "JPEG" else 1
    size = image.size
    image = _decoded(image, orientation, field, limits)
    if image.format != "JPEG":  # PNG and WebP may keep EXIF after the pixels
        orientation = image.getexif().get(ORIENTATION, 1)
    flat = _reduced_rgb(image, _reduction(image, orientation))
    del image  # the decoded full-size pixels go now
    flat = _resized(flat, FALLBACK_WIDTH, size, _swaps_axes(orientation))
    if orientation in TRANSPOSE:
        flat = flat.transpose(TRANSPOSE[orientation])
        size = size[::-1] if _swaps_axes(orientation) else size
    return flat, size[0], size[1]


def process(data: bytes, storage: Storage, field: str = "photo",
            limits: ImageLimits | None = None) -> ProcessedImage:
    """Validate ``data`` (within ``limits``, by default the store's) and store its
    renditions; returns the hash and upright size."""
    limits = limits or storage.image_limits
    upright, width, height = _upright(data, field, limits)
    content_hash = hashlib.sha256(data).hexdigest()
    for rendition_width in WIDTHS:
        key = rendition_key(content_hash, rendition_width)
        if not storage.exists(key):
            buf = io.BytesIO()
            _resized(upright, rendition_width, (width, height)).save(buf, "WEBP", quality=80, method=4)
            storage.save(key, buf.getvalue())  # no exif= argument: metadata is dropped
    fallback = rendition_key(content_hash, FALLBACK_WIDTH, "jpg")
    if not storage.exists(fallback):
        buf = io.BytesIO()
        upright.save(buf, "JPEG", quality=82, optimize=True, progressive=True)
        storage.save(fallback, buf.getvalue())
    return ProcessedImage(content_hash, width, height)


def srcset(storage: Storage, content_hash: str, width: int) -> str:
    """The ``srcset`` value for a photo whose upright width is ``width``."""
    usable = [w for w in WIDTHS if w <= max(width, WIDTHS[0])] or [WIDTHS[0]]
    return ", ".join(f"{storage.url(rendition_key(content_hash, w))} {w}w" for w in usable)
