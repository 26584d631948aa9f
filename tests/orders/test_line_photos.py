"""Each line shows its photo, name and price in the cart and in order history (issue 14,
item 1): the cart page, the account's list of orders and one order's page. The photos of all
lines come in one query, however many lines there are; a Khmer page shows Khmer titles."""

import re

from sqlalchemy import event

from marketplace.catalog.service import photos
from marketplace.models import Product, User
from marketplace.orders import service as orders
from tests.factories import create_group, create_product, create_user, png_bytes
from tests.helpers import fresh, login
from tests.helpers.checkout import fill_cart
from tests.helpers.payments import place

KM = {"Accept-Language": "km"}
THUMB = re.compile(r'<img class="line-thumb" [^>]*alt="([^"]*)"')


def with_photo(session, storage, group, title: str, title_km: str, price_cents: int,
               colour=(180, 90, 40)) -> Product:
    product = create_product(session, group=group, title=title, title_km=title_km,
                             price_cents=price_cents)
    photos.add_photo(session=session, storage=storage, actor=session.get(User, group.leader_id),
                     product=product, data=png_bytes(400, 300, color=colour),
                     alt_text=f"{title} on a table")
    session.commit()
    return product


class Queries:
    """The statements the app runs while in the block."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, *args) -> None:
        self.statements.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.statements

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def photo_queries(statements: list[str]) -> int:
    return sum(1 for s in statements if "FROM product_image" in s)


def test_the_cart_shows_each_lines_photo_name_and_price(client, session, storage):
    group = create_group(session)
    scarf = with_photo(session, storage, group, "Indigo scarf", "ក្រមាខៀវ", 2500)
    basket = with_photo(session, storage, group, "Rattan basket", "កន្ត្រកផ្ដៅ", 1850,
                        colour=(40, 120, 60))
    bare = create_product(session, group=group, title="Clay jar", price_cents=1200)
    for product in (scarf, basket, bare):
        fill_cart(client, product)
    page = client.get("/cart").text
    assert THUMB.findall(page) == ["Indigo scarf on a table", "Rattan basket on a table"]
    assert 'class="line-thumb photo-placeholder"' in page  # the jar has no photo
    for title, price in (("Indigo scarf", "$25.00"), ("Rattan basket", "$18.50"),
                         ("Clay jar", "$12.00")):
        row = page.split(f">{title}</a>", 1)[1].split("</li>", 1)[0]
        assert price in row
    assert page.index("Indigo scarf on a table") < page.index(">Indigo scarf</a>")
    khmer = client.get("/cart", headers=KM).text
    assert "ក្រមាខៀវ" in khmer and "កន្ត្រកផ្ដៅ" in khmer


def test_order_history_and_order_page_show_photos_and_names(
        app, client, session, settings, storage, engine):
    buyer = create_user(session, email="buyer@example.com")
    group = create_group(session)
    scarf = with_photo(session, storage, group, "Indigo scarf", "ក្រមាខៀវ", 2500)
    basket = with_photo(session, storage, group, "Rattan basket", "កន្ត្រកផ្ដៅ", 1850,
                        colour=(40, 120, 60))
    jar = create_product(session, group=group, title="Clay jar", title_km="", price_cents=1200)
    first = place(session, settings, [(scarf, 2)], user=buyer)
    second = place(session, settings, [(basket, 1), (jar, 1)], user=buyer)
    login(client, "buyer@example.com")

    with Queries(engine) as statements:
        history = client.get("/account/orders").text
    assert photo_queries(statements) == 1
    mine = history.split(f'id="order-{second.number}"', 1)[1]
    assert history.index(second.number) < history.index(first.number)
    assert THUMB.findall(history) == ["Rattan basket on a table", "Indigo scarf on a table"]
    assert history.count('class="line-thumb photo-placeholder"') == 1  # the jar
    assert "Rattan basket" in mine and "1 × $18.50" in mine and "Clay jar" in mine
    assert "Indigo scarf" in history and "2 × $25.00" in history
    assert f'href="/orders/{first.number}"' in history

    client.cookies.set("lang", "km")  # the account reads English; this browser chose Khmer
    khmer = client.get("/account/orders").text
    client.cookies.delete("lang")
    assert "ក្រមាខៀវ" in khmer and "កន្ត្រកផ្ដៅ" in khmer and ">Indigo scarf<" not in khmer
    assert '<span class="line-title" lang="en">Clay jar</span>' in khmer  # no Khmer title

    with Queries(engine) as statements:
        detail = client.get(f"/orders/{second.number}").text
    assert photo_queries(statements) == 1
    assert THUMB.findall(detail) == ["Rattan basket on a table"]
    assert "Rattan basket" in detail and "Clay jar" in detail and "$18.50" in detail

    # A piece deleted since the order keeps its line, without a photo.
    fresh(session)
    line = next(line for line in orders.lines_of(session=session, order_id=first.id))
    line.product_id = None
    session.add(line)
    session.commit()
    again = client.get("/account/orders").text
    assert THUMB.findall(again) == ["Rattan basket on a table"]
    assert "Indigo scarf" in again
