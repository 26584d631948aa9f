"""Demo data for a newcomer's first ``make run``; running it again adds nothing twice.

``load`` creates the demo accounts, verified producer groups in the four provinces and their
published products with photos drawn by Pillow (marketplace/demo_data). It only adds what is
missing, so ``make run`` calls it on every start and it returns in a moment once everything
exists. ``load_generated`` adds a large generated catalog for benchmarks
(``marketplace demo-data --products N``), in batches, reusing a few drawn photos.
"""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from marketplace import geo
from marketplace.auth.service import roles
from marketplace.catalog.service import refresh_search_text
from marketplace.core import cache_tags, security
from marketplace.core.text import slugify
from marketplace.demo_data import photos
from marketplace.demo_data.groups import GROUPS, GroupSpec, story_en, story_km
from marketplace.demo_data.products import Piece, Place, demo_pieces, generated_piece
from marketplace.media import images
from marketplace.media.storage import Storage
from marketplace.models import (
    GroupMembership,
    GroupRole,
    GroupStatus,
    ProducerGroup,
    Product,
    ProductImage,
    ProductStatus,
    ProductVariant,
    Role,
    User,
    utcnow,
)
from marketplace.producers.service import GROUP_STATUS

DEMO_PASSWORD = "crafts-demo-2026"  # noqa: S105 - documented demo accounts, development only
GENERATED_MARK = "-gen-"  # in the slug of every generated benchmark product
BATCH = 1000
POOL_PER_CRAFT = 4

Advance = Callable[..., None]


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role | None
    locale: str = "en"


DEMO_USERS = (
    DemoUser("admin@crafts.example", "Programme Admin", Role.ADMIN),
    DemoUser("officer@crafts.example", "Chanthou Meas", Role.OFFICER, "km"),
    DemoUser("producer@crafts.example", "Sreymom Kuy", Role.PRODUCER, "km"),
    DemoUser("shop@crafts.example", "Phnom Penh Craft Shop", Role.BUSINESS_BUYER),
    DemoUser("buyer@crafts.example", "Alex Traveller", None),
)
# Demo account -> the slug of the group it leads.
LEADERS = {"producer@crafts.example": "kuoy-community-handicraft-association"}


def ensure_user(*, session: Session, spec: DemoUser) -> tuple[User, bool]:
    """The demo user, created verified if missing."""
    user = session.exec(select(User).where(User.email == spec.email)).first()
    if user:
        return user, False
    user = User(
        email=spec.email,
        full_name=spec.name,
        password_hash=security.hash_password(DEMO_PASSWORD),
        locale=spec.locale,
        email_verified_at=utcnow(),
    )
    session.add(user)
    session.flush()
    if spec.role:
        roles.grant_role(session=session, actor=None, user=user, role=spec.role)
    return user, True


@dataclass(frozen=True)
class Address:
    district: str
    commune: str
    village: str
    place: Place
    district_km: str
    province_km: str


@cache
def address(spec: GroupSpec) -> Address:
    """The group's official codes: its district, the given (or first) commune, its first
    village."""
    province = geo.province(spec.province)
    district = next(d for d in geo.districts(spec.province) if d.code == spec.district)
    commune = spec.commune or geo.communes(district.code)[0].code
    village = geo.villages(commune)[0]
    place = Place(spec.place, village.name_en, village.name_km, province.name_en,
                  province.name_km)
    return Address(district.code, commune, village.code, place, district.name_km,
                   province.name_km)


def _group_fields(spec: GroupSpec) -> dict:
    where = address(spec)
    return {
        "name": spec.name, "name_km": spec.name_km, "community": spec.community,
        "crafts": list(spec.crafts), "province_code": spec.province,
        "district_code": where.district, "commune_code": where.commune,
        "village_code": where.village, "phone": spec.phone, "members_count": spec.members,
        "women_count": spec.women, "moc_registration": spec.moc_registration,
        "story": story_en(spec), "story_km": story_km(spec, where.district_km, where.province_km),
    }


def ensure_group(*, session: Session, spec: GroupSpec,
                 leader: User | None = None) -> tuple[ProducerGroup, bool]:
    """The verified demo group (completed if an older demo left only its name)."""
    group = session.exec(select(ProducerGroup).where(ProducerGroup.slug == spec.slug)).first()
    created = group is None
    if group is None:
        now = utcnow()
        group = ProducerGroup(slug=spec.slug, status=GroupStatus.VERIFIED, verified_at=now,
                              **_group_fields(spec))
        session.add(group)
        session.flush()
    elif not group.province_code:  # an earlier demo created the bare group
        for key, value in _group_fields(spec).items():
            setattr(group, key, value)
        group.verified_at = group.verified_at or utcnow()
        session.add(group)
        if group.status != GroupStatus.VERIFIED:
            GROUP_STATUS.change(session, group, GroupStatus.VERIFIED, actor=None,
                                action="verified", reason="demo data")
    if leader is not None:
        member = session.exec(select(GroupMembership).where(
            GroupMembership.group_id == group.id,
            GroupMembership.user_id == leader.id)).first()
        if member is None:
            session.add(GroupMembership(group_id=group.id, user_id=leader.id,
                                        role=GroupRole.LEADER))
        if group.leader_id is None:
            group.leader_id = leader.id
            session.add(group)
    return group, created


@cache
def _pieces() -> dict[str, list[Piece]]:
    now = utcnow()
    return {spec.slug: demo_pieces(spec, address(spec).place, now) for spec in GROUPS}


@cache
def _slugs() -> dict[str, list[str]]:
    """The demo pieces' slugs per group. Titles do not depend on the place, so this needs no
    geography lookup: the check that everything exists stays quick."""
    nowhere = Place("", "", "", "", "")
    now = utcnow()
    return {spec.slug: [slugify(p.fields["title"], "piece")
                        for p in demo_pieces(spec, nowhere, now)] for spec in GROUPS}


def steps() -> list[str]:
    """Names of the demo-data steps, for the progress bar."""
    return ([f"user {spec.email}" for spec in DEMO_USERS]
            + [f"group {spec.name}" for spec in GROUPS]
            + [f"product {slug}" for spec in GROUPS for slug in _slugs()[spec.slug]])


def _alt(piece: Piece, view: int, group_name: str, shape: str | None = None) -> str:
    title = piece.fields["title"]
    extra = photos.describe(piece.fields["craft"], piece.shape if shape is None else shape,
                            view)
    return (f"{title}: {extra}" if extra else f"{title}, made by the {group_name}")[:300]


def _draw_and_process(storage: Storage, job: tuple) -> images.ProcessedImage:
    craft, colours, seed, view, shape = job
    return images.process(photos.draw(craft, colours, seed, view, shape), storage)


def _process_all(storage: Storage, jobs: list[tuple]) -> Iterator[images.ProcessedImage]:
    """Draw and process photos on two threads (Pillow encodes outside the GIL), in order."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield from pool.map(lambda job: _draw_and_process(storage, job), jobs)


def _job(piece: Piece, view: int) -> tuple[str, list[str], str, int, str]:
    return piece.fields["craft"], piece.colours, piece.seed, view, piece.shape


def _product_row(piece: Piece, group: ProducerGroup, slug: str) -> dict:
    fields = dict(piece.fields)
    published = fields["published_at"]
    row = {
        **fields, "group_id": group.id, "slug": slug, "status": ProductStatus.PUBLISHED,
        "visible": group.status == GroupStatus.VERIFIED, "province_code": group.province_code,
        "community": group.community, "created_at": published, "updated_at": published,
    }
    holder = Product(**row)  # not added to the session: only for its search text
    refresh_search_text(holder, group)
    row["search_text"] = holder.search_text
    return row


def _add_products(session: Session, storage: Storage, groups: dict[str, ProducerGroup],
                  advance: Advance) -> int:
    """Insert the demo pieces each group lacks (by slug), with variants and photos."""
    existing = set(session.exec(select(Product.group_id, Product.slug).where(
        col(Product.group_id).in_([g.id for g in groups.values()]))))
    missing = []
    for spec in GROUPS:
        group = groups[spec.slug]
        lacking = {slug for slug in _slugs()[spec.slug] if (group.id, slug) not in existing}
        advance(len(_slugs()[spec.slug]) - len(lacking))
        if lacking:
            missing += [(group, piece) for piece in _pieces()[spec.slug]
                        if slugify(piece.fields["title"], "piece") in lacking]
    if not missing:
        return 0
    skus = {v["sku"] for _group, piece in missing for v in piece.variants}
    taken = set(session.exec(select(ProductVariant.sku).where(col(ProductVariant.sku).in_(skus))))
    results = _process_all(storage, [_job(piece, view) for _group, piece in missing
                                     for view in range(piece.photos)])
    for group, piece in missing:
        product = Product(**_product_row(piece, group, slugify(piece.fields["title"], "piece")))
        session.add(product)
        session.flush()
        for position, variant in enumerate(v for v in piece.variants if v["sku"] not in taken):
            session.add(ProductVariant(product_id=product.id, position=position, **variant))
        for view in range(piece.photos):
            result = next(results)
            session.add(ProductImage(product_id=product.id, content_hash=result.content_hash,
                                     alt_text=_alt(piece, view, group.name), width=result.width,
                                     height=result.height, position=view))
        advance()
    session.flush()
    return len(missing)


def _repair_photos(session: Session, storage: Storage, groups: dict[str, ProducerGroup]) -> int:
    """Draw again the demo photos whose files are gone (a fresh var/ on an old database)."""
    by_group = {g.id: slug for slug, g in groups.items()}
    rows = session.exec(select(ProductImage, Product.slug, Product.group_id).join(
        Product, col(Product.id) == ProductImage.product_id).where(
        col(Product.group_id).in_(list(by_group)),
        col(Product.slug).not_like(f"%{GENERATED_MARK}%"))).all()
    lost = [(image, slug, gid) for image, slug, gid in rows if not storage.exists(
        images.rendition_key(image.content_hash, images.FALLBACK_WIDTH, "jpg"))]
    if not lost:
        return 0
    pieces = {(spec.slug, slugify(p.fields["title"], "piece")): p
              for spec in GROUPS for p in _pieces()[spec.slug]}
    todo = [(image, pieces[(by_group[gid], slug)]) for image, slug, gid in lost
            if (by_group[gid], slug) in pieces]
    results = list(_process_all(storage, [_job(piece, image.position % 3)
                                          for image, piece in todo]))
    for (image, _piece), result in zip(todo, results, strict=True):
        image.content_hash, image.width, image.height = (result.content_hash, result.width,
                                                         result.height)
        session.add(image)
    return len(todo)


def _storage() -> Storage:
    from marketplace.config import get_settings
    from marketplace.media.storage import LocalStorage

    return LocalStorage.for_settings(get_settings())


def load(*, session: Session, storage: Storage | None = None,
         advance: Advance = lambda n=1: None) -> int:
    """Create whatever demo data is missing; returns how many rows were created."""
    storage = storage or _storage()
    created = 0
    users = {}
    for spec in DEMO_USERS:
        users[spec.email], was_created = ensure_user(session=session, spec=spec)
        created += int(was_created)
        advance()
    leads = {slug: users[email] for email, slug in LEADERS.items()}
    groups = {}
    for spec in GROUPS:
        groups[spec.slug], was_created = ensure_group(session=session, spec=spec,
                                                      leader=leads.get(spec.slug))
        created += int(was_created)
        advance()
    session.flush()
    added = _add_products(session, storage, groups, advance)
    repaired = _repair_photos(session, storage, groups)
    if created or added or repaired:
        cache_tags.touch(session)
    return created + added


def generated_count(*, session: Session) -> int:
    """How many generated benchmark products exist."""
    return session.exec(select(func.count()).select_from(Product).where(
        col(Product.slug).like(f"%{GENERATED_MARK}%"))).one()


def _photo_pool(storage: Storage) -> dict[str, list[tuple[images.ProcessedImage, int, str]]]:
    """A few drawn photos per craft, shared by every generated product."""
    shapes = {"weaving": ("flat", "bag"), "basketry": ("back", "round", "tray"),
              "pottery": ("jar", "pot"), "resin": ("torch", "bottle", "incense", "tree")}
    colours = ("indigo", "red", "black", "yellow", "green", "brown")
    jobs = []
    for craft, craft_shapes in shapes.items():
        for k in range(POOL_PER_CRAFT):
            view = 0 if k < 2 else k - 1
            jobs.append((craft, [colours[k % 6], colours[(k + 3) % 6]], f"pool/{craft}/{k}",
                         view, craft_shapes[k % len(craft_shapes)]))
    pool: dict[str, list] = {}
    for job, result in zip(jobs, list(_process_all(storage, jobs)), strict=True):
        craft, _colours, _seed, view, shape = job
        pool.setdefault(craft, []).append((result, view, shape))
    return pool


def _pool_lost(session: Session, storage: Storage) -> bool:
    hashes = session.exec(select(ProductImage.content_hash).distinct().join(
        Product, col(Product.id) == ProductImage.product_id).where(
        col(Product.slug).like(f"%{GENERATED_MARK}%"))).all()
    return any(not storage.exists(images.rendition_key(h, images.FALLBACK_WIDTH, "jpg"))
               for h in hashes)


def load_generated(*, session: Session, target: int, storage: Storage | None = None,
                   advance: Advance = lambda n=1: None) -> int:
    """Add generated products until ``target`` exist, committing every ``BATCH``.

    Needs the demo groups (``load`` first). Returns how many were added.
    """
    existing = generated_count(session=session)
    storage = storage or _storage()
    if existing >= target:
        if existing and _pool_lost(session, storage):
            _photo_pool(storage)  # the same drawings give the same hashes: files come back
        return 0
    pool = _photo_pool(storage)
    groups = {g.slug: g for g in session.exec(select(ProducerGroup).where(
        col(ProducerGroup.slug).in_([s.slug for s in GROUPS])))}
    specs = [s for s in GROUPS if s.slug in groups]
    now = utcnow()
    added = 0
    for start in range(existing + 1, target + 1, BATCH):
        indexes = range(start, min(start + BATCH, target + 1))
        pieces, rows = [], []
        for index in indexes:
            spec = specs[(index * 7) % len(specs)]
            piece = generated_piece(index, spec, address(spec).place, now)
            slug = f"{slugify(piece.fields['title'], 'piece')[:50]}{GENERATED_MARK}{index}"
            pieces.append((piece, groups[spec.slug]))
            rows.append(_product_row(piece, groups[spec.slug], slug))
        ids = session.execute(insert(Product).returning(
            Product.id, sort_by_parameter_order=True), rows).scalars().all()
        variants, photo_rows = [], []
        for product_id, (piece, group) in zip(ids, pieces, strict=True):
            variants += [{**v, "product_id": product_id, "position": n}
                         for n, v in enumerate(piece.variants)]
            choices = pool[piece.fields["craft"]]
            first = product_id % len(choices)
            for position in range(piece.photos):
                result, view, shape = choices[(first + position) % len(choices)]
                photo_rows.append({
                    "product_id": product_id, "content_hash": result.content_hash,
                    "alt_text": _alt(piece, view, group.name, shape),
                    "width": result.width, "height": result.height, "position": position,
                    "created_at": now,
                })
        if variants:
            session.execute(insert(ProductVariant), variants)
        session.execute(insert(ProductImage), photo_rows)
        if start + BATCH > target:
            cache_tags.touch(session)
        session.commit()
        added += len(rows)
        advance(len(rows))
    return added

