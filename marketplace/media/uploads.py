"""Reading a multipart photo upload in the JSON API."""

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import UploadFile

from marketplace.errors import ValidationFailed
from marketplace.media import images


def read(file: UploadFile) -> bytes:
    """The upload's bytes, one more than the limit at most, so the service can refuse it."""
    return file.file.read(images.MAX_BYTES + 1)


@contextmanager
def errors_named(field: str = "file") -> Iterator[None]:
    """Report the services' ``photo`` errors under the form field the API client sent."""
    try:
        yield
    except ValidationFailed as exc:
        raise ValidationFailed({(field if k == "photo" else k): v
                                for k, v in exc.errors.items()}, exc.detail) from exc
