"""Where renditions live, and the limits of what may go in. ``LocalStorage`` writes under
var/media; an object-storage class with the same methods can replace it."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

MAX_PIXELS = 40_000_000
DECODE_BUDGET_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ImageLimits:
    """The largest photo accepted (the app's settings ``max_image_pixels`` and
    ``image_decode_budget_bytes``; these defaults outside the app)."""

    max_pixels: int = MAX_PIXELS
    decode_budget_bytes: int = DECODE_BUDGET_BYTES


def write_once(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` unless a file is there already (keys name content: same
    key, same bytes), through a temporary file so a reader never sees half of it."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


class Storage(Protocol):
    image_limits: ImageLimits

    def save(self, key: str, data: bytes) -> None: ...
    def exists(self, key: str) -> bool: ...
    def url(self, key: str) -> str: ...


class LocalStorage:
    """Files under ``root``, served by the app at ``/media/<key>``."""

    def __init__(self, root: Path, base_url: str = "/media",
                 image_limits: ImageLimits | None = None) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        self.image_limits = image_limits or ImageLimits()

    @classmethod
    def for_settings(cls, settings) -> "LocalStorage":
        """The store of ``settings.var_dir``/media with the settings' photo limits."""
        root = settings.var_dir / "media"
        root.mkdir(parents=True, exist_ok=True)
        return cls(root, image_limits=ImageLimits(settings.max_image_pixels,
                                                  settings.image_decode_budget_bytes))

    def path(self, key: str) -> Path:
        if ".." in key or key.startswith("/"):
            raise ValueError("bad media key")
        return self.root / key

    def save(self, key: str, data: bytes) -> None:
        write_once(self.path(key), data)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def url(self, key: str) -> str:
        return f"{self.base_url}/{key}"
