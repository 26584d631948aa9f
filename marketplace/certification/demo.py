"""Seal of Excellence demo data, on top of the demo groups and products already loaded.

``load`` makes the certification officer account (officer@crafts.example) and, from the
visible products of verified groups, the examples a newcomer needs to see every state:
certified pieces across the four crafts, one application waiting in the officers' queue,
one expired certificate and one revoked after an upheld complaint. Everything goes through
the services (applications, review, certificates), so the audit log, the certificate
numbers and the products' "certified" badges are what real use would give.

Running it again adds nothing: once any certificate exists it only makes sure the officer
account is there. Without suitable products it does nothing and returns 0. Demo groups
without any member get a demo leader account (leader.<slug>@crafts.example), since only a
member may apply for the group.
"""

from collections.abc import Callable
from datetime import timedelta
from functools import cache

from sqlmodel import Session, col, select

from marketplace.access import membership
from marketplace.certification.schemas import ApplicationIn, ComplaintIn
from marketplace.certification.service import applications, certificates, criteria, review
from marketplace.config import Settings
from marketplace.core import security
from marketplace.media import images
from marketplace.media.storage import Storage
from marketplace.models import (
    ApplicationPhoto,
    Certificate,
    CertificationApplication,
    Craft,
    CriteriaSet,
    GroupMembership,
    GroupRole,
    GroupStatus,
    OpenApplicationLock,
    ProducerGroup,
    Product,
    ProductImage,
    ProductStatus,
    Role,
    User,
    utcnow,
)

OFFICER_EMAIL = "officer@crafts.example"
OFFICER_NAME = "Chanthou Meas"
EXTRA_CERTIFIED = 4  # certified pieces beyond the first of each craft, when there are enough
CRAFT_ORDER = [craft.value for craft in Craft]

# What a group would write about each craft when a product does not say it itself.
CRAFT_TEXT = {
    "weaving": {
        "materials": "Cotton and silk spun in the village; indigo, lac and ebony-fruit dyes "
                     "from the forest garden",
        "steps": [("spinning and dyeing the yarn", "hand"), ("setting up the loom", "hand"),
                  ("weaving the pattern", "hand"), ("knotting the fringes", "hand")],
        "story": "The motifs are passed from mother to daughter; each one names a plant, an "
                 "animal or a moment of the rice year.",
        "innovation": "A narrower width and lighter weight that suit visitors' luggage.",
        "market": "Visitors, and craft shops in Phnom Penh and Siem Reap",
    },
    "pottery": {
        "materials": "Clay dug by the river after the rains, tempered with sand; fired with "
                     "fallen wood and rice straw",
        "steps": [("preparing and kneading the clay", "hand"),
                  ("building the jar with coils and a paddle", "hand"),
                  ("open firing", "hand")],
        "story": "Jars like this one hold rice wine for ceremonies; the paddle marks are the "
                 "potter's signature.",
        "innovation": "Smaller jars with a fitted lid for use in town kitchens.",
        "market": "Restaurants, hotels and visitors",
    },
    "basketry": {
        "materials": "Rattan and bamboo harvested by hand in the community forest, leaving "
                     "the roots to grow back",
        "steps": [("cutting and splitting rattan", "hand"), ("smoking the strips", "hand"),
                  ("weaving the body", "hand"), ("binding the rim", "hand")],
        "story": "The back-basket carries rice, firewood and children; its weave differs "
                 "from one people to the next.",
        "innovation": "Padded straps and a lining for carrying a laptop or groceries.",
        "market": "Visitors and design shops",
    },
    "resin": {
        "materials": "Liquid resin tapped from dipterocarp trees that stay standing; leaves "
                     "and rattan for binding",
        "steps": [("tapping the tree and collecting the resin", "hand"),
                  ("cleaning and cooking the resin", "hand"), ("shaping and binding", "hand")],
        "story": "Families have tapped the same trees for generations; a tree tapped well "
                 "gives resin for decades.",
        "innovation": "Refillable bottles and a written guide to tapping without harm.",
        "market": "Boat builders, shops and visitors",
    },
}
DEFAULT_TEXT = CRAFT_TEXT["weaving"]
ASSESSMENT_NOTES = {
    "environment": "Materials checked at the village: harvested sustainably.",
    "social": "Fair pay recorded; no child labour; the design belongs to the community.",
    "craftsmanship": "Even, careful work throughout.",
    "authenticity": "Traditional motifs and technique, explained by the makers.",
    "innovation": "The new form is practical without losing the tradition.",
    "marketability": "The price and presentation suit the intended buyers.",
}
VIEWS = ("the whole piece", "a close view of the work", "another side")
COMPLAINT = ("The pattern of this piece is the one our community has woven for generations; "
             "it was copied without our agreement.")
REVOCATION = "The design was found to be copied from another community after a complaint."

Advance = Callable[..., None]


def _officer(session: Session) -> tuple[User, bool]:
    """The demo certification officer, made through marketplace.demo if it offers a way."""
    from marketplace import demo
    from marketplace.auth.service import roles

    spec = next((s for s in getattr(demo, "DEMO_USERS", ()) if s.email == OFFICER_EMAIL), None)
    if spec is None and hasattr(demo, "DemoUser"):
        spec = demo.DemoUser(OFFICER_EMAIL, OFFICER_NAME, Role.OFFICER, "km")
    if spec is not None and hasattr(demo, "ensure_user"):
        user, created = demo.ensure_user(session=session, spec=spec)
    else:  # pragma: no cover - only if marketplace.demo no longer offers ensure_user
        user, created = _ensure_account(session, OFFICER_EMAIL, OFFICER_NAME, "km")
    roles.grant_role(session=session, actor=None, user=user, role=Role.OFFICER)
    return user, created


def _ensure_account(session: Session, email: str, name: str, locale: str) -> tuple[User, bool]:
    from marketplace import demo

    user = session.exec(select(User).where(User.email == email)).first()
    if user is not None:
        return user, False
    password = getattr(demo, "DEMO_PASSWORD", "crafts-demo-2026")
    user = User(email=email, full_name=name, password_hash=_hashed(password),
                locale=locale, email_verified_at=utcnow())
    session.add(user)
    session.flush()
    return user, True


@cache
def _hashed(password: str) -> str:
    """One hash of the documented demo password for every demo account (hashing is slow)."""
    return security.hash_password(password)


def _applicant(session: Session, group: ProducerGroup) -> tuple[User, bool]:
    """A member who applies for the group: its leader, else a member, else a new demo leader
    account (the demo groups may have been loaded without members)."""
    from marketplace.auth.service import roles

    leader = session.get(User, group.leader_id) if group.leader_id else None
    if leader is not None and membership(session=session, user=leader, group_id=group.id):
        return leader, False
    member = session.exec(select(User).join(GroupMembership,
                                            col(GroupMembership.user_id) == User.id)
                          .where(GroupMembership.group_id == group.id)
                          .order_by(GroupMembership.role != GroupRole.LEADER,
                                    GroupMembership.id)).first()
    if member is not None:
        return member, False
    user, created = _ensure_account(session, f"leader.{group.slug}@crafts.example"[:254],
                                    f"{group.name} leader"[:120], "km")
    roles.grant_role(session=session, actor=None, user=user, role=Role.PRODUCER)
    session.add(GroupMembership(group_id=group.id, user_id=user.id, role=GroupRole.LEADER))
    if group.leader_id is None:
        group.leader_id = user.id
        session.add(group)
    session.flush()
    return user, created


def _interleave(lists: list[list[Product]]) -> list[Product]:
    """The first of each list, then the second of each, and so on."""
    out: list[Product] = []
    for i in range(max((len(v) for v in lists), default=0)):
        out += [v[i] for v in lists if i < len(v)]
    return out


def _candidates(session: Session, officer: User | None) -> list[Product]:
    """Visible products of verified groups the officer is not in, free of any application,
    ordered one craft after another (weaving, pottery, basketry, resin, weaving, ...) and,
    within a craft, one group after another."""
    own_groups = select(GroupMembership.group_id).where(
        GroupMembership.user_id == (officer.id if officer else None))
    rows = session.exec(
        select(Product).join(ProducerGroup, col(ProducerGroup.id) == Product.group_id)
        .where(col(Product.visible).is_(True), Product.status == ProductStatus.PUBLISHED,
               ProducerGroup.status == GroupStatus.VERIFIED,
               col(Product.group_id).not_in(own_groups),
               col(Product.certified_until).is_(None),
               col(Product.id).not_in(select(OpenApplicationLock.product_id)))
        .order_by(Product.group_id, Product.id)).all()
    by_craft: dict[str, dict[int, list[Product]]] = {}
    for product in rows:
        by_craft.setdefault(product.craft, {}).setdefault(product.group_id, []).append(product)
    crafts = sorted(by_craft, key=lambda c: (CRAFT_ORDER.index(c) if c in CRAFT_ORDER
                                             else len(CRAFT_ORDER), c))
    return _interleave([_interleave(list(by_craft[craft].values())) for craft in crafts])


def _plan(products: list[Product], staffed: set[int]) -> list[tuple[Product, str]]:
    """Which product shows which state: first one certified piece per craft (fewer if the
    products are too few to show the other states), then waiting, expired, revoked, then a
    few more certified pieces. The waiting application comes from a group that already has
    members when there is one, so its demo account finds it on the dashboard."""
    crafts = len({p.craft for p in products})
    first = min(crafts, max(1, len(products) - 3))
    head, rest = products[:first], products[first:]
    waiting = next((p for p in rest if p.group_id in staffed), None)
    if waiting is not None:
        rest = [waiting] + [p for p in rest if p is not waiting]
    roles = ["certified"] * first + ["waiting", "expired", "revoked"] + \
        ["certified"] * EXTRA_CERTIFIED
    return list(zip(head + rest, roles, strict=False))


class _Photos:
    """Application photos: the product's own, completed by drawn ones (drawn and processed
    once per craft, then shared)."""

    def __init__(self, session: Session, storage: Storage) -> None:
        self.session, self.storage = session, storage
        self.drawn: dict[str, list[images.ProcessedImage]] = {}

    def _draw(self, craft: str) -> list[images.ProcessedImage]:
        if craft not in self.drawn:
            self.drawn[craft] = [images.process(_picture(craft, view), self.storage)
                                 for view in range(applications.MIN_PHOTOS)]
        return self.drawn[craft]

    def attach(self, application: CertificationApplication, product: Product) -> None:
        own = self.session.exec(select(ProductImage).where(ProductImage.product_id == product.id)
                                .order_by(ProductImage.position, ProductImage.id)).all()
        chosen = [(p.content_hash, p.width, p.height, p.alt_text) for p in own]
        chosen = chosen[:applications.MIN_PHOTOS]
        hashes = {c[0] for c in chosen}
        for view, drawn in zip(VIEWS, self._draw(product.craft), strict=False):
            if len(chosen) >= applications.MIN_PHOTOS:
                break
            if drawn.content_hash not in hashes:
                chosen.append((drawn.content_hash, drawn.width, drawn.height,
                               f"{product.title}: {view}"))
        for position, (content_hash, width, height, alt) in enumerate(chosen):
            self.session.add(ApplicationPhoto(
                application_id=application.id, content_hash=content_hash,
                alt_text=alt[:300], width=width, height=height, position=position))
        self.session.flush()


def _picture(craft: str, view: int) -> bytes:
    """A drawn photo of the craft: the demo's own drawings when present, else plain shapes."""
    try:
        from marketplace.demo_data import photos

        return photos.draw(craft, ["natural", "brown"], f"seal-demo-{craft}", view)
    except (ImportError, KeyError):
        import io

        from PIL import Image, ImageDraw

        image = Image.new("RGB", (800, 600), (236, 214, 180))
        draw = ImageDraw.Draw(image)
        for i in range(6 + view * 3):
            draw.rectangle((100 + i * 30, 150, 700 - i * 30, 450 - i * 10),
                           outline=(112, 72, 44), width=4)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()


def _application_in(product: Product) -> ApplicationIn:
    text = CRAFT_TEXT.get(product.craft, DEFAULT_TEXT)
    materials = "; ".join(
        f"{m.get('material', '')} ({m['origin']})" if m.get("origin") else m.get("material", "")
        for m in product.materials or [] if isinstance(m, dict) and m.get("material"))
    steps = [{"step": t["step"][:200], "method": t.get("method", "hand")}
             for t in product.techniques or []
             if isinstance(t, dict) and t.get("step") and t.get("method") in ("hand", "machine")]
    return ApplicationIn(
        product_ids=[product.id],
        materials=(materials or text["materials"])[:4000],
        steps=steps[:30] or [{"step": s, "method": m} for s, m in text["steps"]],
        story=(product.description or text["story"])[:4000],
        innovation=text["innovation"], intended_market=text["market"],
        price_cents=product.price_cents, weight_grams=product.weight_grams or 0,
    )


def _submitted(session: Session, photos: _Photos, product: Product,
               applicant: User) -> CertificationApplication:
    application = applications.create(session=session, actor=applicant,
                                      data=_application_in(product))
    photos.attach(application, product)
    return applications.submit(session=session, actor=applicant, application=application)


def _certified(session: Session, settings: Settings, officer: User,
               application: CertificationApplication) -> Certificate:
    criteria_set = session.get(CriteriaSet, application.criteria_set_id)
    for key in criteria.keys(criteria_set):
        review.assess(session=session, actor=officer, application=application,
                      criterion_key=key, passed=True, note=ASSESSMENT_NOTES.get(key, ""))
    return review.decide(session=session, settings=settings, actor=officer,
                         application=application, decision="approve")


def _run_out(session: Session, certificate: Certificate,
             application: CertificationApplication, years: int) -> None:
    """Move an issue ``years`` and 40 days into the past, so its validity ran out 40 days
    ago (``certificates.expire_due`` then expires it like the nightly job would)."""
    issued = utcnow() - timedelta(days=40)
    try:
        issued = issued.replace(year=issued.year - years)
    except ValueError:  # 29 February
        issued = issued.replace(year=issued.year - years, day=28)
    application.submitted_at = issued - timedelta(days=21)
    application.decided_at = issued
    certificate.issued_at = issued
    certificate.expires_at = utcnow() - timedelta(days=40)
    session.add_all([application, certificate])
    session.flush()


def load(*, session: Session, settings: Settings, storage: Storage,
         advance: Advance = lambda: None) -> int:
    """Create the Seal examples if none exist yet; returns how many rows were created
    (accounts, applications and certificates). ``advance`` is called once per example."""
    if session.exec(select(Certificate.id)).first() is not None:
        return int(_officer(session)[1])
    known = session.exec(select(User).where(User.email == OFFICER_EMAIL)).first()
    staffed = set(session.exec(select(GroupMembership.group_id)).all())
    plan = _plan(_candidates(session, known), staffed)
    if not plan:
        return 0
    officer, officer_created = _officer(session)
    created = int(officer_created)
    photos = _Photos(session, storage)
    for product, role in plan:
        group = session.get(ProducerGroup, product.group_id)
        applicant, applicant_created = _applicant(session, group)
        created += int(applicant_created)
        application = _submitted(session, photos, product, applicant)
        created += 1
        if role == "waiting":
            application.submitted_at = utcnow() - timedelta(days=3)
            session.add(application)
            advance()
            continue
        certificate = _certified(session, settings, officer, application)
        created += 1
        if role == "expired":
            _run_out(session, certificate, application, settings.certificate_years)
        elif role == "revoked":
            complaint = certificates.file_complaint(
                session=session, settings=settings, certificate=certificate,
                data=ComplaintIn(reason=COMPLAINT, contact="community@example.com"),
                ip="192.0.2.10")
            certificates.close_complaint(session=session, actor=officer,
                                         complaint_id=complaint.id, outcome="upheld")
            certificates.change_status(session=session, actor=officer, certificate=certificate,
                                       action="revoke", reason=REVOCATION)
        advance()
    certificates.expire_due(session=session, settings=settings)
    session.flush()
    return created
