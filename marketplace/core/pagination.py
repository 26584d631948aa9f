"""Cursor pagination for the JSON API: one page shape, ``{data, count, next}``, and one
cursor format.

A cursor is opaque to clients: base64url (no padding) of a small JSON value. Lists that page
by offset use ``{"offset": n}`` (``offset_of``/``next_offset``); the catalog pages by keyset
with its own value in the same format (``catalog.search``). A cursor that does not decode
means the first page, never an error.
"""

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

T = TypeVar("T")

MAX_OFFSET = 2**31 - 1

Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Cursor = Annotated[str | None, Query(max_length=200,
                                     description="The `next` of the previous answer")]


class Page(BaseModel, Generic[T]):
    """One page of a list; follow ``next`` with ``cursor`` for the following one."""

    data: list[T]
    count: int
    next: str | None = Field(default=None,
                             description="The cursor of the following page; null on the last")

def encode_cursor(value: Any) -> str:
    """The opaque cursor standing for ``value`` (anything JSON can hold)."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any | None:
    """The value a cursor stands for, or None when there is none or it does not decode."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, binascii.Error, RecursionError):
        return None


def offset_of(cursor: str | None) -> int:
    """The offset an offset cursor stands for; 0 (the first page) for anything else."""
    value = decode_cursor(cursor)
    offset = value.get("offset") if isinstance(value, dict) else None
    if isinstance(offset, bool) or not isinstance(offset, int):
        return 0
    return offset if 0 <= offset <= MAX_OFFSET else 0


def next_offset(offset: int, shown: int, total: int) -> str | None:
    """The cursor after ``shown`` rows from ``offset``, or None when none of ``total`` are left."""
    following = offset + shown
    return encode_cursor({"offset": following}) if shown and following < total else None
