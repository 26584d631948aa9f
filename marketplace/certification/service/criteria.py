"""The published criteria, as versioned data in English and Khmer."""

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.auth.service.roles import has_role
from marketplace.errors import Forbidden, ValidationFailed
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.models import CriteriaSet, Role, User

DEFAULT_ITEMS = [
    {"key": "environment", "kind": "precondition",
     "title": "Respect for the environment",
     "title_km": "ការគោរពបរិស្ថាន",
     "description": "Materials and production respect the environment: sustainable harvesting, "
                    "trees tapped, not felled; no harmful dyes or waste.",
     "description_km": "វត្ថុធាតុដើម និងការផលិតគោរពបរិស្ថាន៖ ការប្រមូលផលប្រកបដោយនិរន្តរភាព "
                       "ចោះយកជ័រដោយមិនកាប់ដើមឈើ គ្មានថ្នាំពណ៌ ឬកាកសំណល់ដែលបង្កគ្រោះថ្នាក់។"},
    {"key": "social", "kind": "precondition",
     "title": "Social responsibility",
     "title_km": "ការទទួលខុសត្រូវសង្គម",
     "description": "Fair pay; no child or forced labour; no copying of another community's "
                    "designs.",
     "description_km": "ប្រាក់ឈ្នួលសមរម្យ គ្មានពលកម្មកុមារ ឬពលកម្មដោយបង្ខំ "
                       "មិនចម្លងលំនាំរបស់សហគមន៍ផ្សេង។"},
    {"key": "craftsmanship", "kind": "criterion",
     "title": "Excellence of craftsmanship",
     "title_km": "ភាពប៉ិនប្រសប់នៃសិប្បកម្ម",
     "description": "High technical quality and attention to detail.",
     "description_km": "គុណភាពបច្ចេកទេសខ្ពស់ និងការយកចិត្តទុកដាក់លើព័ត៌មានលម្អិត។"},
    {"key": "authenticity", "kind": "criterion",
     "title": "Authenticity",
     "title_km": "ភាពដើម",
     "description": "Expresses cultural identity and traditional aesthetics.",
     "description_km": "បង្ហាញអត្តសញ្ញាណវប្បធម៌ និងសោភ័ណភាពប្រពៃណី។"},
    {"key": "innovation", "kind": "criterion",
     "title": "Innovation",
     "title_km": "ការច្នៃប្រឌិត",
     "description": "Innovation in design or production.",
     "description_km": "ការច្នៃប្រឌិតក្នុងការរចនា ឬការផលិត។"},
    {"key": "marketability", "kind": "criterion",
     "title": "Marketability",
     "title_km": "លទ្ធភាពទីផ្សារ",
     "description": "Suits its intended market in use, price and presentation.",
     "description_km": "សមស្របនឹងទីផ្សារគោលដៅ ក្នុងការប្រើប្រាស់ តម្លៃ និងការបង្ហាញ។"},
]


def current(*, session: Session) -> CriteriaSet:
    """The newest published criteria set (version 1 is created from the defaults if none)."""
    latest = session.exec(select(CriteriaSet).order_by(CriteriaSet.version.desc())).first()
    if latest is not None:
        return latest
    try:
        with session.begin_nested():
            latest = CriteriaSet(version=1, items=DEFAULT_ITEMS)
            session.add(latest)
            session.flush()
    except IntegrityError:  # another request created it at the same moment
        latest = session.exec(select(CriteriaSet).where(CriteriaSet.version == 1)).one()
    return latest


def publish(*, session: Session, actor: User, items: list[dict]) -> CriteriaSet:
    """Publish a new version (admins); past decisions keep pointing at their own version."""
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()
    keys = [item.get("key") for item in items]
    kinds = {item.get("kind") for item in items}
    if len(set(keys)) != len(keys) or not kinds <= {"precondition", "criterion"} or \
            "criterion" not in kinds:
        raise ValidationFailed({"items": _("Each item needs a unique key and a kind.")})
    for item in items:
        if not all(str(item.get(f, "")).strip() for f in ("title", "title_km")):
            raise ValidationFailed({"items": _("Each item needs a title in English and Khmer.")})
    current(session=session)
    version = session.exec(select(func.max(CriteriaSet.version))).one() + 1
    ordered = [i for i in items if i["kind"] == "precondition"] + \
              [i for i in items if i["kind"] == "criterion"]
    criteria_set = CriteriaSet(version=version, items=ordered, published_by_id=actor.id)
    session.add(criteria_set)
    session.flush()
    audit.record(session=session, actor=actor, entity_type="criteria_set",
                 entity_id=criteria_set.id, action="published", to_state=str(version))
    return criteria_set


def localized(item: dict) -> dict:
    """The item with ``title``/``description`` in the current language."""
    if current_locale.get() == "km":
        return {**item, "title": item.get("title_km") or item["title"],
                "description": item.get("description_km") or item.get("description", "")}
    return item


def keys(criteria_set: CriteriaSet, kind: str | None = None) -> list[str]:
    return [i["key"] for i in criteria_set.items if kind is None or i["kind"] == kind]
