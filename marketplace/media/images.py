"""Check an uploaded photo by its content and make its renditions.

Accepted: JPEG, PNG, WebP, at most 15 MB and 40 megapixels. The photo is turned upright
(EXIF orientation) and re-encoded without any metadata, so GPS positions of villages never
leave the phone. Renditions: WebP 320, 640 and 1280 px wide and one JPEG 1280 px fallback,
keyed by the SHA-256 of the original bytes.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.media.storage import Storage

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG", "PNG", "WEBP"}
WIDTHS = (320, 640, 1280)
FALLBACK_WIDTH = 1280


@dataclass(frozen=True)
class ProcessedImage:
    content_hash: str
    width: int
    height: int


def rendition_key(content_hash: str, width: int, ext: str = "webp") -> str:
    return f"{content_hash[:2]}/{content_hash}-{width}.{ext}"


def _fail(message: str, field: str = "photo") -> ValidationFailed:
    return ValidationFailed({field: message})


def open_checked(data: bytes, field: str = "photo") -> Image.Image:
    """The decoded image, or ValidationFailed naming ``field``."""
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
            if probe.width * probe.height > MAX_PIXELS:
                raise _fail(_("The photo has more than 40 megapixels."), field)
            probe.verify()  # catches truncated and corrupt files
            image = Image.open(io.BytesIO(data))
            image.load()
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _fail(_("The photo has more than 40 megapixels."), field) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _fail(_("This file is not a photo we can read (JPEG, PNG or WebP)."), field) from exc
    return image


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _resized(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def process(data: bytes, storage: Storage, field: str = "photo") -> ProcessedImage:
    """Validate ``data`` and store its renditions; returns the hash and upright size."""
    image = open_checked(data, field)
    content_hash = hashlib.sha256(data).hexdigest()
    upright = _flatten(ImageOps.exif_transpose(image))
    for width in WIDTHS:
        key = rendition_key(content_hash, width)
        if not storage.exists(key):
            buf = io.BytesIO()
            _resized(upright, width).save(buf, "WEBP", quality=80, method=4)
            storage.save(key, buf.getvalue())  # no exif= argument: metadata is dropped
    fallback = rendition_key(content_hash, FALLBACK_WIDTH, "jpg")
    if not storage.exists(fallback):
        buf = io.BytesIO()
        _resized(upright, FALLBACK_WIDTH).save(buf, "JPEG", quality=82, optimize=True,
                                               progressive=True)
        storage.save(fallback, buf.getvalue())
    return ProcessedImage(content_hash, upright.width, upright.height)


def srcset(storage: Storage, content_hash: str, width: int) -> str:
    """The ``srcset`` value for a photo whose upright width is ``width``."""
    usable = [w for w in WIDTHS if w <= max(width, WIDTHS[0])] or [WIDTHS[0]]
    return ", ".join(f"{storage.url(rendition_key(content_hash, w))} {w}w" for w in usable)
