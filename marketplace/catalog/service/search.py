"""Catalog listing: filters, words in English or Khmer, sort, page or cursor.

Search finds a word inside a longer phrase, which Khmer needs (no spaces between words):
SQLite uses the FTS5 trigram table ``product_fts``; PostgreSQL uses ILIKE on the trigram-
indexed ``search_text``. Words shorter than 3 characters fall back to LIKE on both.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, func, or_, text
from sqlmodel import Session, col, select

from marketplace.core.pagination import decode_cursor, encode_cursor
from marketplace.models import Product, StockMode, utcnow

Sort = Literal["newest", "price_asc", "price_desc"]
MAX_WORDS = 6


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
        self.words = [w for w in self.q.casefold().split() if w][:MAX_WORDS]


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _word_filter(session: Session, word: str):
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and len(word) >= 3:
        phrase = '"' + word.replace('"', '""') + '"'
        return col(Product.id).in_(
            select(text("rowid")).select_from(text("product_fts"))
            .where(text("product_fts MATCH :p").bindparams(p=phrase))
        )
    pattern = f"%{_like_escape(word)}%"
    return col(Product.search_text).like(pattern, escape="\\")


def _filters(session: Session, query: CatalogQuery) -> list:
    conditions = [col(Product.visible).is_(True)]
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
    for word in query.words:
        conditions.append(_word_filter(session, word))
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


def search(*, session: Session, query: CatalogQuery,
           with_count: bool = True) -> tuple[list[Product], int, str | None]:
    """One page of visible products, the total matching, and the next cursor."""
    conditions = _filters(session, query)
    total = 0
    if with_count:
        total = session.exec(select(func.count()).select_from(Product).where(*conditions)).one()
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
