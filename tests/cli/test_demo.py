"""``marketplace demo-data``: groups in the four provinces, a published catalog with photos,
the generated benchmark catalog, and nothing added twice."""

import re

import pytest
from sqlalchemy import func
from sqlmodel import col, select
from typer.testing import CliRunner

from marketplace import geo
from marketplace.cli import app as cli
from marketplace.media import images
from marketplace.models import (
    GroupMembership,
    ProducerGroup,
    Product,
    ProductImage,
    ProductVariant,
    User,
)
from marketplace.producers.service import normalize_phone

runner = CliRunner()
KHMER = re.compile("[\u1780-\u17ff]")


@pytest.fixture(autouse=True)
def _env(cli_env):
    """The command line reads its settings from the environment: point it at the test run's."""


def _counts(session) -> tuple[int, ...]:
    session.rollback()  # end the read transaction: see what the command committed
    return tuple(session.exec(select(func.count()).select_from(model)).one()
                 for model in (User, ProducerGroup, Product, ProductVariant, ProductImage))


def test_demo_data_builds_groups_and_a_published_catalog_once(session, settings):
    first = runner.invoke(cli, ["demo-data"])
    assert first.exit_code == 0, first.output

    groups = session.exec(select(ProducerGroup).where(ProducerGroup.status == "verified")).all()
    assert len(groups) >= 12
    assert {g.province_code for g in groups} == {"16", "11", "13", "06"}
    by_name = {g.name: g for g in groups}
    kuoy = by_name["Kuoy Community Handicraft Association"]
    assert (kuoy.province_code, kuoy.community) == ("06", "kuy")
    assert {"weaving", "basketry"} <= set(kuoy.crafts)
    resin = by_name["Community Resin Business Enterprise"]
    assert resin.province_code == "13" and resin.crafts == ["resin"]
    assert {"bunong", "jarai", "tampuan", "kreung", "kuy", "khmer"} <= {g.community
                                                                        for g in groups}
    for group in groups:
        assert geo.address_errors(group.province_code, group.district_code,
                                  group.commune_code, group.village_code) == {}, group.name
        assert normalize_phone(group.phone) == group.phone
        assert KHMER.search(group.story_km) and group.story
    women = sum(g.women_count for g in groups) / sum(g.members_count for g in groups)
    assert 0.6 <= women <= 0.8

    # Payouts: a completed run (USD and riel sent, one failed and reversed), one group held
    # after changing its destination, and Kuoy with money available and pending.
    from marketplace.models import Payout, PayoutRun
    from marketplace.payouts import earnings

    [run] = session.exec(select(PayoutRun)).all()
    assert run.status == "closed" and run.approved_by_id != run.created_by_id
    payouts = {(p.currency, p.status) for p in session.exec(select(Payout))}
    assert {("USD", "sent"), ("KHR", "sent"), ("USD", "failed")} <= payouts
    chhaeb = by_name["Chhaeb Khmer Potters"]
    assert chhaeb.payout_changed_at is not None and not session.exec(
        select(Payout).where(Payout.group_id == chhaeb.id)).all()
    figures = earnings.balances(session, settings, kuoy.id)
    assert figures.available_cents > 0 and figures.pending_cents > 0 and figures.paid_cents > 0

    producer = session.exec(select(User).where(User.email == "producer@crafts.example")).one()
    membership = session.exec(select(GroupMembership).where(
        GroupMembership.user_id == producer.id)).one()
    assert (membership.group_id, membership.role) == (kuoy.id, "leader")

    products = session.exec(select(Product).where(col(Product.visible).is_(True))).all()
    assert len(products) >= 80
    assert {p.craft for p in products} == {"weaving", "basketry", "pottery", "resin"}
    assert all(KHMER.search(p.title_km) and KHMER.search(p.description_km) for p in products)
    assert all(p.materials and p.techniques and p.makers and p.price_cents > 0
               for p in products)
    made_to_order = [p for p in products if p.stock_mode == "made_to_order"]
    assert made_to_order and all(p.lead_time_days >= 1 and p.monthly_capacity
                                 for p in made_to_order)
    assert any(p.stock_mode == "stock" and p.stock_on_hand == 1 for p in products)
    assert session.exec(select(func.count()).select_from(ProductVariant)).one() > 0

    media = settings.var_dir / "media"
    photos_of: dict[int, list[ProductImage]] = {}
    for image in session.exec(select(ProductImage)).all():
        photos_of.setdefault(image.product_id, []).append(image)
    for product in products:
        assert 1 <= len(photos_of.get(product.id, [])) <= 3, product.title
    for image in {i.content_hash: i for imgs in photos_of.values() for i in imgs}.values():
        assert image.alt_text
        assert (media / images.rendition_key(image.content_hash, 320)).is_file()
        assert (media / images.rendition_key(image.content_hash, images.FALLBACK_WIDTH,
                                             "jpg")).is_file()

    counts = _counts(session)
    second = runner.invoke(cli, ["demo-data"])
    assert second.exit_code == 0, second.output
    assert "0 new rows" in second.output
    assert _counts(session) == counts


def test_generated_catalog_adds_the_missing_products_only(session):
    first = runner.invoke(cli, ["demo-data", "--products", "50"])
    assert first.exit_code == 0, first.output
    generated = select(Product).where(col(Product.slug).contains("-gen-"))
    rows = session.exec(generated).all()
    assert len(rows) == 50
    assert all(r.visible and r.title and KHMER.search(r.title_km) for r in rows)
    assert len({r.title for r in rows}) > 40
    with_photos = session.exec(select(func.count(func.distinct(ProductImage.product_id))).where(
        col(ProductImage.product_id).in_([r.id for r in rows]))).one()
    assert with_photos == 50

    counts = _counts(session)
    again = runner.invoke(cli, ["demo-data", "--products", "50"])
    assert again.exit_code == 0, again.output
    assert _counts(session) == counts
    more = runner.invoke(cli, ["demo-data", "--products", "60"])
    assert more.exit_code == 0, more.output
    session.rollback()
    assert len(session.exec(generated).all()) == 60, more.output
