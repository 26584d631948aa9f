"""Cursors: opaque, and one that does not decode means the first page, never an error."""

import base64

import pytest

from marketplace.core.pagination import (
    Page,
    decode_cursor,
    encode_cursor,
    next_offset,
    offset_of,
)


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_a_cursor_stands_for_its_value():
    for value in ({"offset": 40}, ["newest", "2025-01-02T03:04:05+00:00", 7], None):
        assert decode_cursor(encode_cursor(value)) == value
    assert "=" not in encode_cursor({"offset": 1})


def test_the_next_offset_cursor_until_the_last_page():
    assert offset_of(next_offset(0, 20, 45)) == 20
    assert next_offset(40, 5, 45) is None
    assert next_offset(0, 0, 0) is None


@pytest.mark.parametrize("cursor", [
    None, "", "!!!", "é", _raw("not json"), _raw("[1, 2]"), _raw('{"offset": "x"}'),
    _raw('{"offset": -5}'), _raw('{"offset": 1e999}'), _raw('{"offset": Infinity}'),
    _raw('{"offset": NaN}'), _raw('{"offset": 99999999999999999999}'), _raw('{"offset": 2.5}'),
    _raw('{"offset": true}'), _raw("[" * 100 + "]" * 100),
])
def test_a_cursor_that_does_not_decode_is_the_first_page(cursor):
    assert offset_of(cursor) == 0


def test_a_page_is_data_count_and_next():
    page = Page[int](data=[1, 2], count=5, next=encode_cursor({"offset": 2}))
    assert set(page.model_dump()) == {"data", "count", "next"}
    assert Page[int](data=[], count=0).model_dump() == {"data": [], "count": 0, "next": None}
