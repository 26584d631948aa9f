"""Small text helpers shared by every domain."""

import re
import unicodedata


def slugify(text: str, fallback: str = "item") -> str:
    """A lowercase ASCII slug for URLs (Khmer-only text gives ``fallback``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]
    return slug or fallback
