"""What the Seal pages show: labels, and read-only views of certificates and applications.

Shared by the public pages (``web``), the producer pages (``dashboard_web``) and the officer
pages (``officer_web``). Nothing here changes data; the rules live in the services.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from marketplace import audit, geo
from marketplace.catalog.views import CRAFT_LABELS, product_url
from marketplace.certification.service import applications, certificates, criteria
from marketplace.core.money import plain_dollars
from marketplace.i18n import N_, current_locale, localized, localized_text
from marketplace.media import images
from marketplace.media.storage import Storage
from marketplace.models import (
    ApplicationPhoto,
    ApplicationStatus,
    Assessment,
    Certificate,
    CertificationApplication,
    CriteriaSet,
    ProducerGroup,
    Product,
    User,
)

PHOTO_WIDTH = 640

CERTIFICATE_STATUS_LABELS = {
    "valid": N_("Valid"),
    "expired": N_("Expired"),
    "suspended": N_("Suspended"),
    "revoked": N_("Revoked"),
}
CERTIFICATE_STATUS_TEXT = {
    "valid": N_("This seal is valid: certification officers checked these products against "
                "the published criteria."),
    "expired": N_("This seal has expired: it is no longer valid and must be renewed."),
    "suspended": N_("This seal is suspended: it is not valid while the officers look into it."),
    "revoked": N_("This seal is revoked: it is no longer valid."),
}
APPLICATION_STATUS_LABELS = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted, waiting for review"),
    "changes_requested": N_("Changes requested"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
}
DECISION_LABELS = {
    "approve": N_("Approve and issue the seal"),
    "request_changes": N_("Return to the group for changes"),
    "reject": N_("Reject"),
}
HISTORY_LABELS = {
    "created": N_("Application started"),
    "submitted": N_("Sent for review"),
    "approve": N_("Approved"),
    "reject": N_("Rejected"),
    "request_changes": N_("Returned for changes"),
    "withdrawn": N_("Withdrawn"),
    "issued": N_("Seal issued"),
    "suspend": N_("Suspended"),
    "reinstate": N_("Reinstated"),
    "revoke": N_("Revoked"),
    "expired": N_("Expired"),
    "complaint_filed": N_("Complaint received"),
    "complaint_dismissed": N_("Complaint dismissed"),
    "complaint_upheld": N_("Complaint upheld"),
}
ACTION_LABELS = {"suspend": N_("Suspend"), "reinstate": N_("Reinstate"), "revoke": N_("Revoke")}
KIND_LABELS = {"precondition": N_("Precondition"), "criterion": N_("Criterion")}
METHOD_LABELS = {"hand": N_("By hand"), "machine": N_("By machine")}
LABELS = {
    "certificate_status": CERTIFICATE_STATUS_LABELS,
    "certificate_text": CERTIFICATE_STATUS_TEXT,
    "application_status": APPLICATION_STATUS_LABELS,
    "decision": DECISION_LABELS,
    "history": HISTORY_LABELS,
    "kind": KIND_LABELS,
    "action": ACTION_LABELS,
    "method": METHOD_LABELS,
    "craft": CRAFT_LABELS,
}


def craft_options() -> list[tuple[str, str]]:
    """(value, msgid) pairs; templates translate the msgid."""
    return [(str(value), label) for value, label in CRAFT_LABELS.items()]


def province_options() -> list[tuple[str, str]]:
    return [(code, place.name) for code in geo.PRODUCER_PROVINCES
            if (place := geo.province(code)) is not None]


def province_name(code: str) -> str:
    place = geo.province(code)
    return place.name if place else ""


def group_name(group: ProducerGroup | None) -> str:
    if group is None:
        return ""
    if current_locale.get() == "km" and group.name_km:
        return group.name_km
    return group.name


@dataclass(frozen=True)
class ProductLink:
    id: int
    title: str
    url: str | None  # None when the product is not visible in the catalog
    craft: str


def product_links(session: Session, product_ids: list[int]) -> list[ProductLink]:
    links = []
    for product_id in product_ids:
        product = session.get(Product, product_id)
        if product is None:
            continue
        title = localized_text(product.title, product.title_km)
        links.append(ProductLink(product.id, title,
                                 product_url(product) if product.visible else None,
                                 product.craft))
    return links


@dataclass
class CertificateView:
    certificate: Certificate
    number: str
    status: str
    group_name: str
    group_url: str | None
    province: str
    products: list[ProductLink]
    title: str  # what a hang-tag names: the product line, or the product titles
    criteria_version: int
    issued_at: datetime
    expires_at: datetime
    public_reason: str | None  # in the reader's language when both are written
    public_reason_lang: str = "en"


def certificate_view(session: Session, certificate: Certificate) -> CertificateView:
    group = session.get(ProducerGroup, certificate.group_id)
    application = session.get(CertificationApplication, certificate.application_id)
    criteria_set = session.get(CriteriaSet, certificate.criteria_set_id)
    products = product_links(session, certificates.product_ids(session, certificate.id))
    line = localized_text(application.product_line,
                          application.product_line_km) if application else ""
    title = line or ", ".join(p.title for p in products)
    return CertificateView(
        certificate=certificate, number=certificate.number,
        status=str(certificates.status_of(certificate)), group_name=group_name(group),
        group_url=f"/groups/{group.slug}" if group and group.status == "verified" else None,
        province=province_name(group.province_code) if group else "", products=products,
        title=title, criteria_version=criteria_set.version if criteria_set else 0,
        issued_at=certificate.issued_at, expires_at=certificate.expires_at,
        public_reason=localized_text(certificate.public_reason,
                                     certificate.public_reason_km) or None,
        public_reason_lang=localized(certificate.public_reason,
                                     certificate.public_reason_km)[1],
    )


@dataclass(frozen=True)
class PhotoView:
    id: int
    url: str
    alt: str
    width: int
    height: int


def photo_views(session: Session, storage: Storage, application_id: int) -> list[PhotoView]:
    """The application's photos as 640 px renditions."""
    views = []
    photo: ApplicationPhoto
    for photo in applications.photos(session=session, application_id=application_id):
        width = min(PHOTO_WIDTH, photo.width)
        height = max(1, round(photo.height * width / photo.width))
        views.append(PhotoView(photo.id,
                               storage.url(images.rendition_key(photo.content_hash, PHOTO_WIDTH)),
                               photo.alt_text, width, height))
    return views


def criteria_items(session: Session, criteria_set_id: int) -> tuple[int, list[dict]]:
    """(version, items in the current language, preconditions first)."""
    criteria_set = session.get(CriteriaSet, criteria_set_id)
    items = [criteria.localized(item) for item in criteria_set.items]
    items.sort(key=lambda item: item.get("kind") != "precondition")
    return criteria_set.version, items


@dataclass
class Round:
    number: int
    assessments: list[Assessment] = field(default_factory=list)  # last word per criterion


def assessment_rounds(session: Session, application: CertificationApplication,
                      *, include_open_round: bool) -> list[Round]:
    """Every review round, newest first, with the last assessment of each item.

    The round under review is left out unless ``include_open_round`` (groups see a round's
    results once it is decided).
    """
    rows = session.exec(select(Assessment).where(
        Assessment.application_id == application.id).order_by(Assessment.id))
    latest: dict[int, dict[str, Assessment]] = {}
    for row in rows:
        latest.setdefault(row.round, {})[row.criterion_key] = row
    rounds = []
    for number in sorted(latest, reverse=True):
        if (number == application.round and application.status == ApplicationStatus.SUBMITTED
                and not include_open_round):
            continue
        rounds.append(Round(number, list(latest[number].values())))
    return rounds


def certificate_of(session: Session, application_id: int) -> Certificate | None:
    return session.exec(select(Certificate).where(
        Certificate.application_id == application_id)).first()


def history(session: Session, entity_type: str, entity_id: int,
            ) -> list[tuple[object, User | None]]:
    """Status changes worth showing (edits and assessments left out), newest first."""
    return [(event, actor) for event, actor in audit.history(
        session=session, entity_type=entity_type, entity_id=entity_id)
        if event.action in HISTORY_LABELS]


def steps_text(steps: list[dict]) -> str:
    """Production steps as the form shows them: "step | hand", one per line."""
    return "\n".join(f"{s.get('step', '')} | {s.get('method', 'hand')}" for s in steps or [])


def application_values(application: CertificationApplication) -> dict[str, str]:
    """The application as the text an edit form shows."""
    return {
        "product_line": application.product_line,
        "materials": application.materials,
        "steps": steps_text(application.steps),
        "story": application.story,
        "innovation": application.innovation,
        "intended_market": application.intended_market,
        **{f"{name}_km": getattr(application, f"{name}_km") for name in (
            "product_line", "materials", "story", "innovation", "intended_market")},
        "price": plain_dollars(application.price_cents) if application.price_cents else "",
        "weight_grams": str(application.weight_grams or ""),
    }
