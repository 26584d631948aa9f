"""Catalog listing: filters, words in English or Khmer, sort, page or cursor.

Search finds a word inside a longer phrase, which Khmer needs (no spaces between words);
English words lose their plural or -ing ending first (``stem``), so "baskets" finds what
"basket" finds:
SQLite uses the FTS5 trigram table ``product_fts``; PostgreSQL uses LIKE on the trigram-
indexed ``search_text``. Words shorter than 3 characters are matched with LIKE on both.

A search first asks the text index for up to ``COUNT_LIMIT`` + 1 products holding every
word. A narrow search (at most ``COUNT_LIMIT``) then filters, counts and sorts just those;
a broad one walks the sort order's index and keeps the rows holding the words (many do, so
a page fills quickly) and counts only up to ``COUNT_LIMIT`` + 1 ("more than 1,000").
Either way the time does not grow with the size of the catalog.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import ARRAY, Integer, String, and_, bindparam, func, literal_column, or_, text
from sqlmodel import Session, col, select

from marketplace.core.pagination import decode_cursor, encode_cursor
from marketplace.models import Product, StockMode, utcnow

Sort = Literal["newest", "price_asc", "price_desc"]
MAX_WORDS = 6
COUNT_LIMIT = 1000  # a search counts its matches up to this; beyond, "more than"


@dataclass
class CatalogQuery:
    q: str = ""
    craft: str | None = None
    province: str | None = None
    community: str | None = None
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    availability: Literal["in_stock", "made_to_order"] | None = None
    certified_only: bool = False
    group_id: int | None = None
    sort: Sort = "newest"
    limit: int = 24
    page: int = 1
    cursor: str | None = None
    words: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.words = [stem(w) for w in self.q.casefold().split() if w][:MAX_WORDS]


ENGLISH_WORD = re.compile(r"[a-z]{4,}")
# (ending, what replaces it), longest first. Words are found inside longer text, so a stem
# finds every form: "baskets" -> "basket" (finds basket, baskets), "scarves" -> "scar"
# (scarf, scarves), "bodies" -> "bod", "boxes" -> "box", "weaving" -> "weav" (weave, weaver).
ENDINGS = (("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("xes", "x"), ("zes", "z"),
           ("oes", "o"), ("ies", ""), ("ves", ""), ("ing", ""), ("s", ""))


def stem(word: str) -> str:
    """An English word's common plural or -ing ending taken off, when at least three
    letters stay; other words (Khmer, short ones, "glass", "status") as typed."""
    if not ENGLISH_WORD.fullmatch(word) or word.endswith(("ss", "us", "is")):
        return word
    for ending, replacement in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) + len(replacement) >= 3:
            return word[: -len(ending)] + replacement
    return word


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(word: str):
    return col(Product.search_text).like(f"%{_like_escape(word)}%", escape="\\")


def _fts_expression(words: list[str]) -> str:
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def _indexed_words(query: CatalogQuery) -> list[str]:
    return [word for word in query.words if len(word) >= 3]


def _candidates(session: Session, words: list[str]) -> list[int]:
    """Up to ``COUNT_LIMIT`` + 1 products holding every word, from the text index."""
    if session.get_bind().dialect.name == "sqlite":
        statement = text("SELECT rowid FROM product_fts WHERE product_fts MATCH :words "
                         "LIMIT :n").bindparams(words=_fts_expression(words), n=COUNT_LIMIT + 1)
    else:
        statement = select(Product.id).where(*map(_contains, words)).limit(COUNT_LIMIT + 1)
    # A thousand bare integers: the driver's tuples, without a Result row object for each
    # (that alone took 1.8 ms a search).
    cursor = session.connection().execute(statement).cursor
    return [row[0] for row in cursor.fetchall()]


def _among(session: Session, ids: list[int]):
    """``product.id`` is one of ``ids``, sent as one parameter (a list of a thousand
    placeholders would be a new statement for every search)."""
    if session.get_bind().dialect.name == "sqlite":
        return col(Product.id).in_(select(literal_column("value")).select_from(
            func.json_each(bindparam("ids", json.dumps(ids), type_=String))))
    return col(Product.id) == func.any(bindparam("ids", ids, type_=ARRAY(Integer)))


def _filters(session: Session, query: CatalogQuery, *, among: bool = False) -> list:
    """The conditions other than the words. ``among``: the rows are a few known ids, so
    the visibility test must not lead the database to walk its index instead."""
    visible = col(Product.visible)
    conditions = [(func.coalesce(visible, False) if among else visible).is_(True)]
    if query.group_id is not None:
        conditions.append(Product.group_id == query.group_id)
    if query.craft:
        conditions.append(Product.craft == query.craft)
    if query.province:
        conditions.append(Product.province_code == query.province)
    if query.community:
        conditions.append(Product.community == query.community)
    if query.min_price_cents is not None:
        conditions.append(Product.price_cents >= query.min_price_cents)
    if query.max_price_cents is not None:
        conditions.append(Product.price_cents <= query.max_price_cents)
    if query.availability == "made_to_order":
        conditions.append(Product.stock_mode == StockMode.MADE_TO_ORDER)
    elif query.availability == "in_stock":
        conditions.append(and_(Product.stock_mode == StockMode.STOCK,
                               Product.stock_on_hand > Product.stock_allocated))
    if query.certified_only:
        conditions.append(col(Product.certified_until) > utcnow())
    return conditions


def _order(sort: Sort):
    if sort == "price_asc":
        return [col(Product.price_cents).asc(), col(Product.id).asc()]
    if sort == "price_desc":
        return [col(Product.price_cents).desc(), col(Product.id).desc()]
    return [col(Product.published_at).desc(), col(Product.id).desc()]


def keyset_cursor(sort: Sort, product: Product) -> str:
    """The cursor of the rows after ``product`` in the ``sort`` order: [sort, key, id]."""
    key = product.price_cents if sort != "newest" else product.published_at.isoformat()
    return encode_cursor([sort, key, product.id])


def _cursor_condition(sort: Sort, cursor: str):
    """Rows after the cursor; a cursor that does not decode is ignored (first page)."""
    try:
        cursor_sort, key, last_id = decode_cursor(cursor)
        last_id = int(last_id)
    except (ValueError, TypeError, OverflowError):
        return None
    if not 0 <= last_id <= 2**31 - 1:
        return None
    if cursor_sort != sort:
        return None
    if sort == "newest":
        try:
            moment = datetime.fromisoformat(key)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            return None
        return or_(col(Product.published_at) < moment,
                   and_(col(Product.published_at) == moment, col(Product.id) < last_id))
    if not isinstance(key, int) or not 0 <= key <= 2**31 - 1:
        return None
    if sort == "price_asc":
        return or_(Product.price_cents > key, and_(Product.price_cents == key,
                                                   col(Product.id) > last_id))
    return or_(Product.price_cents < key, and_(Product.price_cents == key,
                                               col(Product.id) < last_id))


def _holds(session: Session, word: str):
    """``search_text`` holds ``word``, tested row by row while walking an index (both are
    lower case already: a plain substring test, much cheaper than LIKE)."""
    name = "instr" if session.get_bind().dialect.name == "sqlite" else "strpos"
    return getattr(func, name)(col(Product.search_text), word) > 0


def _all_matches(session: Session, words: list[str], conditions: list) -> list[int]:
    """Up to ``COUNT_LIMIT`` + 1 visible products passing ``conditions`` and holding every
    word, from every match of the text index."""
    if session.get_bind().dialect.name == "sqlite":
        matching = [col(Product.id).in_(
            select(text("rowid")).select_from(text("product_fts"))
            .where(text("product_fts MATCH :words").bindparams(words=_fts_expression(words))))]
    else:
        matching = [_contains(word) for word in words]
    return list(session.exec(select(Product.id).where(*conditions, *matching)
                             .limit(COUNT_LIMIT + 1)))


def _plan(session: Session, query: CatalogQuery) -> tuple[list, int | None]:
    """The conditions of a search and, when known already, its total.

    Narrow (at most ``COUNT_LIMIT`` matches): the matching ids, counted exactly. Broad: the
    words tested on each row while the sort order's index is walked (a page fills fast),
    and the total ``COUNT_LIMIT`` + 1, "more than"."""
    short = [_holds(session, word) for word in query.words if len(word) < 3]
    indexed = _indexed_words(query)
    if not indexed:
        return [*_filters(session, query), *short], None
    candidates = _candidates(session, indexed)
    narrow = [*_filters(session, query, among=True), *short]
    if len(candidates) > COUNT_LIMIT:  # broad in the whole catalog; with the filters too?
        if session.exec(select(func.count()).select_from(Product).where(
                _among(session, candidates), *narrow)).one() > COUNT_LIMIT:
            candidates = None
        else:
            candidates = _all_matches(session, indexed, narrow)
            if len(candidates) > COUNT_LIMIT:
                candidates = None
    if candidates is None:
        holds = [_holds(session, word) for word in indexed]
        return [*_filters(session, query), *holds, *short], COUNT_LIMIT + 1
    return [*narrow, _among(session, candidates)], None


def search(*, session: Session, query: CatalogQuery,
           with_count: bool = True) -> tuple[list[Product], int, str | None]:
    """One page of visible products, the total matching, and the next cursor. The total of
    a broad search stops at ``COUNT_LIMIT`` + 1: more than ``COUNT_LIMIT``."""
    conditions, total = _plan(session, query)
    if with_count and total is None and query.words:  # narrow, or only short words: the
        # count stops at the limit (short words have no index to count with)
        total = session.execute(select(func.count()).select_from(
            select(literal_column("1")).select_from(Product).where(*conditions)
            .limit(COUNT_LIMIT + 1).subquery())).scalar_one()
    elif with_count and total is None:
        total = session.exec(select(func.count()).select_from(Product).where(*conditions)).one()
    total = total or 0
    statement = select(Product).where(*conditions).order_by(*_order(query.sort))
    if query.cursor:
        after = _cursor_condition(query.sort, query.cursor)
        if after is not None:
            statement = statement.where(after)
    else:
        statement = statement.offset((max(query.page, 1) - 1) * query.limit)
    rows = list(session.exec(statement.limit(query.limit + 1)))
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = keyset_cursor(query.sort, rows[-1])
    return rows, total, next_cursor
