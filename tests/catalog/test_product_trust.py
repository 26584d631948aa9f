"""The product page earns trust at a glance (issue 14, item 1): the Seal badge links to its
certificate (on catalog cards too), the price split adds up to the price and says when a
small-order fee applies, the group's story and the makers' names link to the group, and the
photos form a gallery whose thumbnails are links to each photo (no JavaScript needed)."""

import re

import pytest
from sqlmodel import select

from marketplace.catalog.service import photos
from marketplace.certification.service import certificates
from marketplace.models import Product, User
from marketplace.payments import pricing
from tests.factories import create_group, create_product, issue_certificate, png_bytes
from tests.helpers import fresh

KM = {"Accept-Language": "km"}


@pytest.fixture(autouse=True)
def _empty_page_cache(app):
    app.state.page_cache.clear()
    yield
    app.state.page_cache.clear()


def usd(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def split_of(html: str) -> dict[str, int]:
    """The figures of the price split, in cents, by the id of their element."""
    found = re.findall(r'id="split-([a-z-]+)">\$([\d,]+\.\d\d)<', html)
    return {key: round(float(amount.replace(",", "")) * 100) for key, amount in found}


def url_of(product: Product) -> str:
    return f"/products/{product.id}-{product.slug}"


def test_the_seal_badge_links_to_the_certificate_on_the_page_and_the_cards(
        client, session, storage, settings):
    certificate = issue_certificate(session, storage, settings)
    fresh(session)
    product = session.exec(select(Product).where(
        Product.id.in_(certificates.product_ids(session, certificate.id)))).one()
    page = client.get(url_of(product)).text
    assert f'<a href="/seal/{certificate.number}" class="seal-link">Seal of Excellence' in page
    assert client.get(f"/seal/{certificate.number}").status_code == 200
    catalog = client.get("/catalog").text
    assert f'<a href="/seal/{certificate.number}">Seal of Excellence</a>' in catalog

    officer = session.get(User, certificate.officer_id)
    certificates.change_status(session=session, actor=officer, certificate=certificate,
                               action="revoke", reason="Machine-woven pieces found")
    session.commit()
    assert "/seal/" not in client.get(url_of(product)).text  # the cached page is not kept
    assert 'class="badge seal"' not in client.get("/catalog").text


def test_the_split_adds_up_to_the_price(client, session, settings):
    product = create_product(session, price_cents=2500)
    html = client.get(url_of(product)).text
    split = split_of(html)
    expected = pricing.piece_split(2500, commission_bp=settings.commission_basis_points,
                                   fee_bp=settings.card_fee_basis_points,
                                   fee_fixed_cents=settings.card_fee_fixed_cents)
    assert split == {"producer": expected.producer_cents,
                     "commission": expected.commission_cents,
                     "card-fee": expected.card_fee_cents}
    assert split["producer"] + split["commission"] == 2500
    assert split["card-fee"] <= split["commission"]
    assert "Where the $25.00 goes" in html
    assert "Marketplace commission (10%)" in html
    assert "paid from the commission" in html and "small-order fee" not in html
    assert "Shipping is extra. The card fee (2.9% + $0.30)" in html


def test_a_cheap_piece_says_it_carries_a_small_order_fee(client, session, settings):
    product = create_product(session, price_cents=350)
    expected = pricing.piece_split(350, commission_bp=settings.commission_basis_points,
                                   fee_bp=settings.card_fee_basis_points,
                                   fee_fixed_cents=settings.card_fee_fixed_cents)
    assert expected.small_order_fee_cents > 0
    html = client.get(url_of(product)).text
    split = split_of(html)
    assert split["producer"] + split["commission"] == 350
    assert split["card-fee"] == expected.card_fee_cents
    assert (f"An order this small carries a small-order fee of "
            f"{usd(expected.small_order_fee_cents)}") in html
    assert "paid from the commission and the small-order fee" in html
    khmer = client.get(url_of(product), headers=KM).text
    assert 'id="split-small-order"' in khmer and "An order this small" not in khmer


def test_the_makers_story_names_and_group_link(client, session):
    group = create_group(session, name="Kreung Basket Makers", story="We weave rattan.",
                         story_km="យើងត្បាញផ្ដៅ។")
    product = create_product(session, group=group, makers=["Sreymom Kuy", "Lanh Sav"])
    html = client.get(url_of(product)).text
    assert "Sreymom Kuy, Lanh Sav" in html
    assert "We weave rattan." in html
    assert (f'<a href="/groups/{group.slug}" class="group-link">Meet Kreung Basket Makers and '
            "see all their pieces</a>") in html
    khmer = client.get(url_of(product), headers=KM).text
    assert "យើងត្បាញផ្ដៅ។" in khmer and "We weave rattan." not in khmer


def test_several_photos_make_a_gallery_of_anchor_links(client, session, storage):
    group = create_group(session)
    product = create_product(session, group=group)
    leader = session.get(User, group.leader_id)
    for i, colour in enumerate([(200, 40, 40), (40, 200, 40), (40, 40, 200)]):
        photos.add_photo(session=session, storage=storage, actor=leader, product=product,
                         data=png_bytes(800, 600, color=colour), alt_text=f"View {i + 1}")
    session.commit()
    html = client.get(url_of(product)).text
    for n in (1, 2, 3):
        assert f'<li id="photo-{n}"><img ' in html
        assert f'<a href="#photo-{n}"><img ' in html
    assert 'alt="Photo 2 of 3"' in html and 'sizes="4rem"' in html
    assert html.count('fetchpriority="high"') == 1  # the first photo only
    assert "<script" not in html.split('class="product-photos gallery"')[1].split("</div>")[0]

    one = create_product(session, group=group)
    photos.add_photo(session=session, storage=storage, actor=leader, product=one,
                     data=png_bytes(800, 600), alt_text="Only view")
    session.commit()
    single = client.get(url_of(one)).text
    assert '<li id="photo-1">' in single and 'href="#photo-1"' not in single  # no thumbnails
