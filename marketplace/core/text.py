"""Small text helpers shared by every domain."""

import re
import unicodedata
from collections.abc import Callable


def slugify(text: str, fallback: str = "item") -> str:
    """A lowercase ASCII slug for URLs (Khmer-only text gives ``fallback``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]
    return slug or fallback


def unique_slug(text: str, fallback: str, taken: Callable[[str], bool]) -> str:
    """``slugify(text)``, with -2, -3, ... added until ``taken`` says it is free."""
    base = slugify(text, fallback)
    slug, n = base, 1
    while taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug
