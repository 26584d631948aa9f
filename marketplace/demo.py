"""Demo data for a newcomer's first ``make run``; running it again adds nothing twice."""

from dataclasses import dataclass

from sqlmodel import Session, select

from marketplace.auth import roles
from marketplace.core import security
from marketplace.models import GroupMembership, GroupRole, ProducerGroup, Role, User, utcnow

DEMO_PASSWORD = "crafts-demo-2026"  # noqa: S105 - documented demo accounts, development only


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

DEMO_GROUPS = (("Kuoy Community Handicraft Association", "សមាគមសិប្បកម្មសហគមន៍កួយ"),)


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


def ensure_group(*, session: Session, name: str, name_km: str, leader: User) -> ProducerGroup:
    group = session.exec(select(ProducerGroup).where(ProducerGroup.name == name)).first()
    if group is None:
        group = ProducerGroup(name=name, name_km=name_km, slug=name.lower().replace(' ', '-'))
        session.add(group)
        session.flush()
        session.add(GroupMembership(group_id=group.id, user_id=leader.id, role=GroupRole.LEADER))
    return group


def steps() -> list[str]:
    """Names of the demo-data steps, for the progress bar."""
    return [f"user {spec.email}" for spec in DEMO_USERS] + [f"group {n}" for n, _ in DEMO_GROUPS]


def load(*, session: Session, advance=lambda: None) -> int:
    """Create whatever demo data is missing; returns how many rows were created."""
    created = 0
    users = {}
    for spec in DEMO_USERS:
        users[spec.email], was_created = ensure_user(session=session, spec=spec)
        created += int(was_created)
        advance()
    for name, name_km in DEMO_GROUPS:
        before = session.exec(select(ProducerGroup.id).where(ProducerGroup.name == name)).first()
        ensure_group(session=session, name=name, name_km=name_km,
                     leader=users["producer@crafts.example"])
        created += int(before is None)
        advance()
    return created
