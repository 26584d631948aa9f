"""``create_*`` helpers that build rows with sensible defaults and overrides."""

import itertools
from functools import cache

from sqlmodel import Session

from marketplace.auth.service import roles
from marketplace.core import security
from marketplace.models import User, utcnow

DEFAULT_PASSWORD = "correct horse battery"  # noqa: S105
_counter = itertools.count(1)


@cache
def password_hash(password: str = DEFAULT_PASSWORD) -> str:
    """The argon2id hash of ``password`` with the production parameters, made once per test
    session and shared by every account made here: one hash costs about 60 ms and the suite
    makes hundreds of accounts. Logging in still verifies it as in production (and never
    rehashes it); the salt shared between accounts is the only difference."""
    return security.hash_password(password)


def create_user(
    session: Session,
    *,
    email: str | None = None,
    full_name: str = "Sokha Chan",
    password: str = DEFAULT_PASSWORD,
    verified: bool = True,
    locale: str = "en",
    role: list[str] | tuple[str, ...] = (),
    commit: bool = True,
) -> User:
    """A user (verified by default) with the given roles."""
    user = User(
        email=email or f"user{next(_counter)}@example.com",
        full_name=full_name,
        password_hash=password_hash(password),
        locale=locale,
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    for item in role:
        roles.grant_role(session=session, actor=None, user=user, role=item)
    if commit:
        session.commit()
    return user


def create_group(
    session: Session,
    *,
    leader: User | None = None,
    name: str | None = None,
    status: str = "verified",
    province_code: str = "16",
    district_code: str = "1601",
    commune_code: str = "160101",
    village_code: str = "16010101",
    community: str = "tampuan",
    crafts: tuple[str, ...] = ("weaving",),
    commit: bool = True,
    **overrides,
):
    """A producer group (verified by default) whose leader is ``leader`` (created if None)."""
    from marketplace.models import GroupMembership, GroupRole, ProducerGroup

    leader = leader or create_user(session, role=["producer"], commit=False)
    n = next(_counter)
    group = ProducerGroup(
        slug=f"group-{n}", name=name or f"Weavers Group {n}", name_km=f"ក្រុមត្បាញ {n}",
        community=community, crafts=list(crafts), province_code=province_code,
        district_code=district_code, commune_code=commune_code, village_code=village_code,
        phone="+85512345678", members_count=12, women_count=10, leader_id=leader.id,
        status=status, verified_at=utcnow() if status == "verified" else None, **overrides,
    )
    session.add(group)
    session.flush()
    session.add(GroupMembership(group_id=group.id, user_id=leader.id, role=GroupRole.LEADER))
    if commit:
        session.commit()
    return group


def add_member(session: Session, group, user: User | None = None, role: str = "member") -> User:
    from marketplace.models import GroupMembership

    user = user or create_user(session, role=["producer"], commit=False)
    session.add(GroupMembership(group_id=group.id, user_id=user.id, role=role))
    session.commit()
    return user


def create_product(
    session: Session,
    *,
    group=None,
    title: str = "Indigo cotton scarf",
    title_km: str = "ក្រមាក្រណាត់ពណ៌ខៀវ",
    price_cents: int = 2500,
    craft: str = "weaving",
    status: str = "published",
    stock_mode: str = "stock",
    stock_on_hand: int = 5,
    commit: bool = True,
    **overrides,
):
    """A product (published and visible by default) with search text filled in."""
    from marketplace.catalog.service import refresh_search_text
    from marketplace.models import ProducerGroup, Product

    group = group or create_group(session, commit=False)
    if isinstance(group, int):
        group = session.get(ProducerGroup, group)
    fields = {
        "lead_time_days": 30 if stock_mode == "made_to_order" else None,
        "monthly_capacity": 4 if stock_mode == "made_to_order" else None,
        **overrides,
    }
    fields.setdefault("slug", "piece")
    product = Product(
        group_id=group.id, title=title, title_km=title_km, craft=craft,
        price_cents=price_cents, status=status, stock_mode=stock_mode,
        stock_on_hand=stock_on_hand if stock_mode == "stock" else 0,
        province_code=group.province_code, community=group.community,
        visible=status == "published" and group.status == "verified",
        published_at=utcnow() if status == "published" else None, **fields,
    )
    refresh_search_text(product, group)
    session.add(product)
    session.flush()
    if commit:
        session.commit()
    return product


def png_bytes(width: int = 64, height: int = 48, color=(180, 90, 40), fmt: str = "PNG",
              exif_gps: bool = False) -> bytes:
    """An image made by Pillow; with ``exif_gps`` a JPEG carrying a GPS position."""
    import io

    from PIL import Image

    image = Image.new("RGB", (width, height), color)
    buf = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x0112] = 6  # orientation: rotate 90° clockwise to show upright
        exif[0x8825] = {1: "N", 2: (13.0, 44.0, 0.0), 3: "E", 4: (107.0, 0.0, 0.0)}
        image.save(buf, "JPEG", exif=exif)
    else:
        image.save(buf, fmt)
    return buf.getvalue()


def create_application(session: Session, storage, *, group=None, products=None,
                       submitted: bool = True, photos: int = 3, actor: User | None = None):
    """A complete Seal application (submitted by default) with drawn photos."""
    from marketplace.certification.schemas import ApplicationIn
    from marketplace.certification.service import applications
    from marketplace.models import User as UserModel

    group = group or create_group(session)
    products = products or [create_product(session, group=group)]
    actor = actor or session.get(UserModel, group.leader_id)
    application = applications.create(session=session, actor=actor, data=ApplicationIn(
        product_ids=[p.id for p in products], materials="Rattan harvested in O'Yadav",
        steps=[{"step": "splitting rattan", "method": "hand"},
               {"step": "weaving", "method": "hand"}],
        story="A back-basket pattern of the Kreung", innovation="Leather straps",
        intended_market="Visitors", price_cents=3500, weight_grams=900))
    for i in range(photos):
        applications.add_photo(session=session, storage=storage, actor=actor,
                               application=application,
                               data=png_bytes(color=(40 * i, 80, 120)), alt_text=f"View {i}")
    if submitted:
        applications.submit(session=session, actor=actor, application=application)
    session.commit()
    return application


def pass_everything(session: Session, officer: User, application) -> None:
    """Record a pass for every precondition and criterion of the application's criteria set."""
    from marketplace.certification.service import review
    from marketplace.models import CriteriaSet

    for item in session.get(CriteriaSet, application.criteria_set_id).items:
        review.assess(session=session, actor=officer, application=application,
                      criterion_key=item["key"], passed=True, note="good")
    session.commit()


def cart_with(session: Session, items, user: User | None = None):
    """A cart holding (product, quantity) or (product, quantity, variant) items."""
    from marketplace.cart import service as carts

    cart = carts.new_cart(session=session, user=user)
    for item in items:
        product, quantity = item[0], item[1]
        variant_id = item[2].id if len(item) > 2 and item[2] is not None else None
        carts.add(session=session, cart=cart, product_id=product.id, variant_id=variant_id,
                  quantity=quantity)
    session.commit()
    return cart


def address(**overrides):
    """A Cambodian shipping address for checkout."""
    from marketplace.checkout.service.address import Address

    data = {"full_name": "Alex Traveller", "email": "alex@example.com",
            "phone": "+85512345678", "country": "KH", "shipping_option": "courier",
            "province_code": "12", "district_code": "1201", "commune_code": "120101",
            "village_code": "12010101", "address_line": "House 12, Street 240"}
    data.update(overrides)
    return Address(**data)


def issue_certificate(session: Session, storage, settings, *, group=None):
    """An application approved by an officer after passing every criterion: its certificate."""
    from marketplace.certification.service import review

    officer = create_user(session, role=["officer"])
    application = create_application(session, storage, group=group)
    pass_everything(session, officer, application)
    certificate = review.decide(session=session, settings=settings, actor=officer,
                                application=application, decision="approve")
    session.commit()
    return certificate


def placed_order(session: Session, settings, cart, *, user: User | None = None, **kwargs):
    """An order placed from ``cart`` through the checkout service (the sample address),
    committed so the app sees it; ``kwargs`` go to ``place_order``."""
    from marketplace.checkout import service as checkout

    order, _created = checkout.place_order(session=session, settings=settings, cart=cart,
                                           user=user, address=kwargs.pop("address", address()),
                                           **kwargs)
    session.commit()
    return order


def create_business(session: Session, *, owner: User | None = None, status: str = "verified",
                    terms_days: int | None = None, credit_limit_cents: int = 0,
                    commit: bool = True):
    """A Phnom Penh shop (verified by default) owned by ``owner`` (created if None)."""
    from marketplace.models import Business, BusinessMember

    owner = owner or create_user(session, role=["business_buyer"], commit=False)
    n = next(_counter)
    business = Business(
        slug=f"shop-{n}", legal_name=f"Craft Shop {n} Co., Ltd.", kind="shop",
        tax_id=f"K001-{900000000 + n}", moc_registration=f"{n:08d}", province_code="12",
        district_code="1201", commune_code="120101", phone="+85523218555", status=status,
        payment_terms_days=terms_days, credit_limit_cents=credit_limit_cents,
        created_by_id=owner.id, verified_at=utcnow() if status == "verified" else None)
    session.add(business)
    session.flush()
    session.add(BusinessMember(business_id=business.id, user_id=owner.id, role="owner"))
    if commit:
        session.commit()
    return business
