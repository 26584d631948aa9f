"""Where renditions live. ``LocalStorage`` writes under var/media; an object-storage class
with the same three methods can replace it."""

import os
from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...
    def exists(self, key: str) -> bool: ...
    def url(self, key: str) -> str: ...


class LocalStorage:
    """Files under ``root``, served by the app at ``/media/<key>``."""

    def __init__(self, root: Path, base_url: str = "/media") -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        if ".." in key or key.startswith("/"):
            raise ValueError("bad media key")
        return self.root / key

    def save(self, key: str, data: bytes) -> None:
        path = self.path(key)
        if path.exists():
            return  # content-addressed: same key, same bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def url(self, key: str) -> str:
        return f"{self.base_url}/{key}"
