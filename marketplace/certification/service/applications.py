"""A producer group's side of the Seal: draft, photos, submit, edit after changes, withdraw.

One open application per product: each open application holds a row per product in
``open_application_lock`` whose primary key is the product, so a second one cannot be made,
even by two requests at the same moment.
"""

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.access import accessible_group_ids, membership, require_member
from marketplace.auth.service.roles import has_role
from marketplace.certification.schemas import ApplicationIn, ApplicationUpdate
from marketplace.certification.service import criteria
from marketplace.core.status import Lifecycle
from marketplace.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.media import images
from marketplace.media.storage import Storage
from marketplace.models import (
    ApplicationPhoto,
    ApplicationProduct,
    ApplicationStatus,
    Assessment,
    CertificationApplication,
    OpenApplicationLock,
    Product,
    Role,
    User,
    utcnow,
)

MIN_PHOTOS = 3
MAX_PHOTOS = 8
EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.CHANGES_REQUESTED)
# The group submits, resubmits after changes and withdraws (``applications``); an officer
# approves, rejects or returns it for changes (``review``). Approved, rejected and withdrawn
# are final.
APPLICATION_STATUS = Lifecycle(
    CertificationApplication, "certification_application", {
        ApplicationStatus.DRAFT: {ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN},
        ApplicationStatus.SUBMITTED: {ApplicationStatus.APPROVED, ApplicationStatus.REJECTED,
                                      ApplicationStatus.CHANGES_REQUESTED,
                                      ApplicationStatus.WITHDRAWN},
        ApplicationStatus.CHANGES_REQUESTED: {ApplicationStatus.SUBMITTED,
                                              ApplicationStatus.WITHDRAWN},
    },
    refusal=lambda current, to: _("This application cannot move from “%(from)s” to "
                                  "“%(to)s”.", **{"from": current, "to": to}))


def check_transition(application: CertificationApplication, to: ApplicationStatus) -> None:
    """InvalidTransition unless the map allows the move (checked before anything else)."""
    APPLICATION_STATUS.check(application.status, to)


def get(*, session: Session, application_id: int) -> CertificationApplication:
    application = session.get(CertificationApplication, application_id)
    if application is None:
        raise NotFound(_("No such application."))
    return application


def visible_to(*, session: Session, actor: User, application_id: int) -> CertificationApplication:
    """The application if the actor is in its group, an officer or an admin."""
    application = get(session=session, application_id=application_id)
    if membership(session=session, user=actor, group_id=application.group_id):
        return application
    if has_role(session=session, user=actor, role=Role.OFFICER) or \
            has_role(session=session, user=actor, role=Role.ADMIN):
        return application
    raise Forbidden()


def product_ids(*, session: Session, application_id: int) -> list[int]:
    return list(session.exec(select(ApplicationProduct.product_id).where(
        ApplicationProduct.application_id == application_id).order_by(
        ApplicationProduct.product_id)))


def photos(*, session: Session, application_id: int) -> list[ApplicationPhoto]:
    return list(session.exec(select(ApplicationPhoto).where(
        ApplicationPhoto.application_id == application_id).order_by(ApplicationPhoto.position)))


def create(*, session: Session, actor: User, data: ApplicationIn) -> CertificationApplication:
    """A draft application for products of one of the actor's groups."""
    products = list(session.exec(select(Product).where(Product.id.in_(data.product_ids))))
    if len(products) != len(set(data.product_ids)):
        raise ValidationFailed({"product_ids": _("Choose products of your group.")})
    group_ids = {p.group_id for p in products}
    if len(group_ids) != 1:
        raise ValidationFailed({"product_ids": _("All products must belong to one group.")})
    group_id = group_ids.pop()
    require_member(session=session, user=actor, group_id=group_id)
    if any(p.status == "archived" for p in products):
        raise ValidationFailed({"product_ids": _("Archived products cannot be certified.")})
    application = CertificationApplication(
        group_id=group_id,
        criteria_set_id=criteria.current(session=session).id,
        created_by_id=actor.id,
        **data.model_dump(exclude={"product_ids", "steps"}),
        steps=[s.model_dump() for s in data.steps],
    )
    session.add(application)
    session.flush()
    for product in products:
        session.add(ApplicationProduct(application_id=application.id, product_id=product.id))
        session.add(OpenApplicationLock(product_id=product.id, application_id=application.id))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(_("One of these products already has an open application.")) from exc
    audit.record(session=session, actor=actor, entity_type="certification_application",
                 entity_id=application.id, action="created", to_state=application.status)
    return application


def _editable(session: Session, actor: User, application: CertificationApplication) -> None:
    require_member(session=session, user=actor, group_id=application.group_id)
    if application.status not in EDITABLE:
        raise InvalidTransition(_("Only a draft or an application returned for changes "
                                  "can be edited."))


def update(*, session: Session, actor: User, application: CertificationApplication,
           data: ApplicationUpdate) -> CertificationApplication:
    """Edit a draft, or an application the officer returned for changes (history is kept)."""
    _editable(session, actor, application)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for key, value in changes.items():
        setattr(application, key, value)
    application.updated_at = utcnow()
    session.add(application)
    audit.record(session=session, actor=actor, entity_type="certification_application",
                 entity_id=application.id, action="edited", data={"fields": sorted(changes)})
    return application


def add_photo(*, session: Session, storage: Storage, actor: User,
              application: CertificationApplication, data: bytes,
              alt_text: str) -> ApplicationPhoto:
    _editable(session, actor, application)
    if not (alt_text or "").strip():
        raise ValidationFailed({"alt_text": _("Describe the photo for people who cannot see "
                                              "it.")})
    count = session.exec(select(func.count()).where(
        ApplicationPhoto.application_id == application.id)).one()
    if count >= MAX_PHOTOS:
        raise Conflict(_("An application can have at most 8 photos."))
    processed = images.process(data, storage)
    photo = ApplicationPhoto(application_id=application.id, content_hash=processed.content_hash,
                             alt_text=alt_text.strip()[:300], width=processed.width,
                             height=processed.height, position=count)
    session.add(photo)
    session.flush()
    return photo


def delete_photo(*, session: Session, actor: User, application: CertificationApplication,
                 photo_id: int) -> None:
    _editable(session, actor, application)
    photo = session.get(ApplicationPhoto, photo_id)
    if photo is None or photo.application_id != application.id:
        raise NotFound(_("No such photo."))
    session.delete(photo)


def submit(*, session: Session, actor: User,
           application: CertificationApplication) -> CertificationApplication:
    """Send the application to the officers' queue (complete, with at least 3 photos)."""
    require_member(session=session, user=actor, group_id=application.group_id)
    check_transition(application, ApplicationStatus.SUBMITTED)
    errors = {}
    for field in ("materials", "story", "intended_market"):  # in English or Khmer
        if not (getattr(application, field).strip()
                or getattr(application, f"{field}_km").strip()):
            errors[field] = _("Write this in English or Khmer.")
    if not application.steps:
        errors["steps"] = _("Describe each production step.")
    if len(photos(session=session, application_id=application.id)) < MIN_PHOTOS:
        errors["photos"] = _("Add at least 3 photos.")
    if errors:
        raise ValidationFailed(errors)
    if not APPLICATION_STATUS.change(
            session, application, ApplicationStatus.SUBMITTED, actor=actor, action="submitted",
            values={"round": CertificationApplication.round + 1, "submitted_at": utcnow()}):
        raise InvalidTransition()  # submitted or withdrawn meanwhile
    return application


def release_locks(session: Session, application_id: int) -> None:
    session.execute(delete(OpenApplicationLock).where(
        OpenApplicationLock.application_id == application_id))


def withdraw(*, session: Session, actor: User,
             application: CertificationApplication) -> CertificationApplication:
    """The group takes the application back, as long as no officer has started the review."""
    require_member(session=session, user=actor, group_id=application.group_id)
    check_transition(application, ApplicationStatus.WITHDRAWN)
    started = session.exec(select(Assessment.id).where(
        Assessment.application_id == application.id,
        Assessment.round == application.round)).first()
    if application.status == ApplicationStatus.SUBMITTED and started:
        raise InvalidTransition(_("The review has started; the application can no longer be "
                                  "withdrawn."))
    if not APPLICATION_STATUS.change(session, application, ApplicationStatus.WITHDRAWN,
                                     actor=actor, action="withdrawn"):
        raise InvalidTransition()  # decided or withdrawn meanwhile
    release_locks(session, application.id)
    return application


def list_own(*, session: Session, actor: User) -> list[CertificationApplication]:
    """Applications of the groups the actor belongs to, newest first."""
    group_ids = accessible_group_ids(session=session, user=actor)
    if not group_ids:
        return []
    return list(session.exec(select(CertificationApplication).where(
        CertificationApplication.group_id.in_(group_ids)).order_by(
        CertificationApplication.id.desc())))
