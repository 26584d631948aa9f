"""Supporting documents (a business's registration, tax certificate): a PDF or a photo,
checked by content, kept out of the public media folder.

A PDF must start with the ``%PDF-`` header and end with the ``%%EOF`` marker (a truncated
or renamed file fails); a photo goes through the same checks as product photos. What the
person called the file, or the type their browser claimed, decides nothing. Files are stored
under ``var/private`` by the SHA-256 of their bytes and are only ever sent, as an attachment,
to the business's members and to admins.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import Response

from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.media import images
from marketplace.media.storage import write_once

MAX_BYTES = 10 * 1024 * 1024
PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
         "WEBP": ("image/webp", "webp")}


@dataclass(frozen=True)
class CheckedDocument:
    content_type: str
    extension: str
    key: str


def check(data: bytes, field: str = "document") -> CheckedDocument:
    """What the bytes are (PDF, JPEG, PNG or WebP) and their storage key; ValidationFailed
    on ``field`` for anything else, an empty file or one over 10 MB."""
    if not data:
        raise ValidationFailed({field: _("Choose a file to upload.")})
    if len(data) > MAX_BYTES:
        raise ValidationFailed({field: _("The file is larger than 10 MB.")})
    digest = hashlib.sha256(data).hexdigest()
    if PDF_HEADER.search(data[:1024]):
        if b"%%EOF" not in data[-1024:]:
            raise ValidationFailed({field: _("This PDF is incomplete or damaged.")})
        return CheckedDocument("application/pdf", "pdf", f"{digest[:2]}/{digest}.pdf")
    try:
        image = images.open_checked(data, field)
    except ValidationFailed as exc:
        raise ValidationFailed({field: _("Upload a PDF, or a photo (JPEG, PNG or WebP).")}) \
            from exc
    content_type, extension = TYPES[image.format]
    return CheckedDocument(content_type, extension, f"{digest[:2]}/{digest}.{extension}")


class PrivateFiles:
    """Files under ``root`` (``var/private``), never served as static files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def for_settings(cls, settings) -> "PrivateFiles":
        return cls(settings.var_dir / "private")

    def path(self, key: str) -> Path:
        if ".." in key or key.startswith("/"):
            raise ValueError("bad private file key")
        return self.root / key

    def save(self, key: str, data: bytes) -> None:
        write_once(self.path(key), data)

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def download(self, document) -> Response:
        """A stored document (``storage_key``, ``content_type``, ``id``) as a download that a
        browser never renders in our origin."""
        name = f"document-{document.id}.{document.storage_key.rsplit('.', 1)[-1]}"
        return Response(self.read(document.storage_key), media_type=document.content_type,
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "X-Content-Type-Options": "nosniff",
                                 "Cache-Control": "private, no-store"})
