"""JSON API for the Seal of Excellence, the producer groups' and the officers' side:
applications, their review and the certificates' status. The public registry, hang-tag
verification and complaints are in :mod:`marketplace.certification.api.public`.

A page of applications is serialised with five extra queries however long it is (criteria
versions, products, photo counts, assessments, certificate numbers), each in one batch.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Body, Depends, File, Form, Query, UploadFile, status
from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.auth.deps import CurrentUser, OfficerUser
from marketplace.catalog.schemas import ImagePublic
from marketplace.certification.schemas import (
    ApplicationIn,
    ApplicationPublic,
    ApplicationUpdate,
    AssessmentIn,
    AssessmentPublic,
    CertificateActionIn,
    CertificatePublic,
    DecisionIn,
    Step,
)
from marketplace.certification.serialize import NumberedCertificate, certificate_public
from marketplace.certification.service import applications, certificates, review
from marketplace.core.deps import SettingsDep, StorageDep
from marketplace.core.openapi import problems
from marketplace.core.pagination import Cursor, Limit, Page, next_offset, offset_of
from marketplace.db import SessionDep
from marketplace.media import images, uploads
from marketplace.models import (
    ApplicationPhoto,
    ApplicationProduct,
    Assessment,
    Certificate,
    CertificationApplication,
    Craft,
    CriteriaSet,
)

router = APIRouter(tags=["seal of excellence"])


# --- serialisation -------------------------------------------------------------------------

def applications_public(session: Session,
                        rows: Sequence[CertificationApplication]) -> list[ApplicationPublic]:
    """The applications in order, with their related rows fetched in batches."""
    ids = [row.id for row in rows]
    if not ids:
        return []
    versions = dict(session.exec(select(CriteriaSet.id, CriteriaSet.version).where(
        col(CriteriaSet.id).in_({row.criteria_set_id for row in rows}))).all())
    products: dict[int, list[int]] = defaultdict(list)
    for application_id, product_id in session.exec(
            select(ApplicationProduct.application_id, ApplicationProduct.product_id)
            .where(col(ApplicationProduct.application_id).in_(ids))
            .order_by(ApplicationProduct.product_id)):
        products[application_id].append(product_id)
    photo_counts = dict(session.exec(
        select(ApplicationPhoto.application_id, func.count())
        .where(col(ApplicationPhoto.application_id).in_(ids))
        .group_by(ApplicationPhoto.application_id)).all())
    assessments: dict[int, list[AssessmentPublic]] = defaultdict(list)
    for assessment in session.exec(select(Assessment).where(
            col(Assessment.application_id).in_(ids)).order_by(Assessment.round, Assessment.id)):
        assessments[assessment.application_id].append(AssessmentPublic.model_validate(assessment))
    numbers = dict(session.exec(select(Certificate.application_id, Certificate.number).where(
        col(Certificate.application_id).in_(ids))).all())
    return [
        ApplicationPublic(
            id=row.id, group_id=row.group_id, status=row.status,
            criteria_version=versions[row.criteria_set_id], product_ids=products[row.id],
            product_line=row.product_line, materials=row.materials,
            steps=[Step.model_validate(step) for step in row.steps or []], story=row.story,
            innovation=row.innovation, intended_market=row.intended_market,
            product_line_km=row.product_line_km, materials_km=row.materials_km,
            story_km=row.story_km, innovation_km=row.innovation_km,
            intended_market_km=row.intended_market_km,
            price_cents=row.price_cents, weight_grams=row.weight_grams,
            photo_count=photo_counts.get(row.id, 0), submitted_at=row.submitted_at,
            decided_at=row.decided_at, decision_note=row.decision_note,
            assessments=assessments[row.id], certificate_number=numbers.get(row.id),
        )
        for row in rows
    ]


def application_public(session: Session, row: CertificationApplication) -> ApplicationPublic:
    return applications_public(session, [row])[0]


# --- dependencies --------------------------------------------------------------------------

def _application(application_id: int, session: SessionDep,
                 user: CurrentUser) -> CertificationApplication:
    """The application to change (401 before 404; the service checks membership)."""
    return applications.get(session=session, application_id=application_id)


def _reviewed_application(application_id: int, session: SessionDep,
                          user: OfficerUser) -> CertificationApplication:
    """The application an officer reviews (403 for non-officers before any 404)."""
    return applications.get(session=session, application_id=application_id)


OwnApplication = Annotated[CertificationApplication, Depends(_application)]
ReviewedApplication = Annotated[CertificationApplication, Depends(_reviewed_application)]

UpdateBody = Annotated[ApplicationUpdate, Body(openapi_examples={
    "story": {"summary": "Tell the story of the pattern",
              "value": {"story": "The diamond rows recall the rice fields after harvest."}},
    "steps": {"summary": "Describe each step",
              "value": {"steps": [{"step": "dyeing with indigo", "method": "hand"},
                                  {"step": "weaving on a back-strap loom",
                                   "method": "hand"}]}},
})]
AssessmentBody = Annotated[AssessmentIn, Body(openapi_examples={
    "pass": {"summary": "A precondition passes",
             "value": {"criterion_key": "environment", "passed": True,
                       "note": "Rattan cut by hand from a managed stand; natural dyes."}},
    "fail": {"summary": "A criterion fails, with the reason",
             "value": {"criterion_key": "craftsmanship", "passed": False,
                       "note": "Loose weft at both ends of the scarf."}},
})]
DecisionBody = Annotated[DecisionIn, Body(openapi_examples={
    "approve": {"summary": "Approve (every item passed)", "value": {"decision": "approve"}},
    "changes": {"summary": "Return for changes, with what to change",
                "value": {"decision": "request_changes",
                          "note": "Add photos of the dyeing and the dye recipe."}},
    "reject": {"summary": "Reject, with the reasons the group will read",
               "value": {"decision": "reject",
                         "note": "The resin trees were felled, not tapped."}},
})]
ActionBody = Annotated[CertificateActionIn, Body(openapi_examples={
    "suspend": {"summary": "Suspend while a complaint is examined",
                "value": {"action": "suspend",
                          "reason": "A complaint about the origin of the silk is examined."}},
    "reinstate": {"summary": "Reinstate", "value": {"action": "reinstate"}},
    "revoke": {"summary": "Revoke, with the reason shown publicly",
               "value": {"action": "revoke",
                         "reason": "The pattern was copied from another community.",
                         "reason_km": "លំនាំនេះត្រូវបានចម្លងពីសហគមន៍ផ្សេង។"}},
})]


# --- the producer group's side -------------------------------------------------------------

@router.post(
    "/certifications",
    status_code=status.HTTP_201_CREATED,
    summary="Apply for the Seal of Excellence (group members)",
    description=(
        "Starts a draft application for one product, or several products of one line, of "
        "your group. Add at least 3 photos, then submit it. A product can have only one "
        "open application at a time (409)."
    ),
    responses=problems(401, 403, 409, 422),
)
def apply(data: ApplicationIn, session: SessionDep, user: CurrentUser) -> ApplicationPublic:
    application = applications.create(session=session, actor=user, data=data)
    return application_public(session, application)


@router.get(
    "/certifications",
    summary="My groups' applications",
    description=(
        "Applications of the groups you belong to, newest first, with the officers' "
        "assessments. Follow `next` with `cursor` for the following page."
    ),
    responses=problems(401, 422),
)
def list_own(session: SessionDep, user: CurrentUser, limit: Limit = 20,
             cursor: Cursor = None) -> Page[ApplicationPublic]:
    rows = applications.list_own(session=session, actor=user)
    offset = offset_of(cursor)
    page = rows[offset:offset + limit]
    return Page[ApplicationPublic](data=applications_public(session, page), count=len(rows),
                                   next=next_offset(offset, len(page), len(rows)))


@router.get(
    "/certifications/queue",
    summary="The officers' review queue (certification officers)",
    description=(
        "Submitted applications, oldest first, optionally only one craft or one province "
        "(two-digit code, e.g. 16 for Ratanakiri). `count` is the number on this page; "
        "follow `next` with `cursor` for more."
    ),
    responses=problems(401, 403, 422),
)
def review_queue(
    session: SessionDep,
    user: OfficerUser,
    craft: Craft | None = None,
    province: Annotated[str | None, Query(pattern=r"^\d{2}$",
                                          description="Province code, e.g. 16")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ApplicationPublic]:
    offset = offset_of(cursor)
    rows = review.queue(session=session, actor=user, craft=craft, province=province,
                        limit=limit + 1, offset=offset)
    page = rows[:limit]
    # one row more than the page was asked for: if it came, there is a following page
    return Page[ApplicationPublic](data=applications_public(session, page), count=len(page),
                                   next=next_offset(offset, len(page), offset + len(rows)))


@router.get(
    "/certifications/applications/{application_id}",
    summary="One application",
    description=(
        "For members of the applying group, certification officers and administrators: the "
        "application with the assessments of every review round and, once approved, the "
        "certificate number."
    ),
    responses=problems(401, 403, 404, 422),
)
def get_application(application_id: int, session: SessionDep,
                    user: CurrentUser) -> ApplicationPublic:
    application = applications.visible_to(session=session, actor=user,
                                          application_id=application_id)
    return application_public(session, application)


@router.patch(
    "/certifications/applications/{application_id}",
    summary="Change an application (group members)",
    description=(
        "Only a draft, or an application the officer returned for changes. Omitted fields "
        "stay as they are."
    ),
    responses=problems(401, 403, 404, 409, 422),
)
def update_application(application: OwnApplication, data: UpdateBody, session: SessionDep,
                       user: CurrentUser) -> ApplicationPublic:
    application = applications.update(session=session, actor=user, application=application,
                                      data=data)
    return application_public(session, application)


@router.post(
    "/certifications/applications/{application_id}/photos",
    status_code=status.HTTP_201_CREATED,
    summary="Add a photo to an application (group members)",
    description=(
        "Multipart form: `file` (JPEG, PNG or WebP, at most 15 MB) and `alt_text` describing "
        "it. Show the piece, its details and its making; 3 to 8 photos. Metadata such as GPS "
        "positions is removed."
    ),
    responses=problems(401, 403, 404, 409, 422),
)
def add_photo(
    application: OwnApplication,
    file: Annotated[UploadFile, File(description="The photo: JPEG, PNG or WebP")],
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
    alt_text: Annotated[str, Form(max_length=300, description="What the photo shows",
                                  examples=["Back-basket seen from the side"])] = "",
) -> ImagePublic:
    with uploads.errors_named("file"):
        photo = applications.add_photo(session=session, storage=storage, actor=user,
                                       application=application, data=uploads.read(file),
                                       alt_text=alt_text)
    return ImagePublic(
        id=photo.id, alt_text=photo.alt_text, width=photo.width, height=photo.height,
        position=photo.position,
        url=storage.url(images.rendition_key(photo.content_hash, images.FALLBACK_WIDTH, "jpg")),
        srcset=images.srcset(storage, photo.content_hash, photo.width),
    )


@router.post(
    "/certifications/applications/{application_id}/submit",
    summary="Submit an application to the officers (group members)",
    description=(
        "Needs the materials, each production step, the story, the intended market and at "
        "least 3 photos; a 422 names each missing field (`photos` for too few photos)."
    ),
    responses=problems(401, 403, 404, 409, 422),
)
def submit_application(application: OwnApplication, session: SessionDep,
                       user: CurrentUser) -> ApplicationPublic:
    application = applications.submit(session=session, actor=user, application=application)
    return application_public(session, application)


@router.post(
    "/certifications/applications/{application_id}/withdraw",
    summary="Withdraw an application (group members)",
    description="Possible until an officer has started the review; frees the products for a "
                "new application.",
    responses=problems(401, 403, 404, 409, 422),
)
def withdraw_application(application: OwnApplication, session: SessionDep,
                         user: CurrentUser) -> ApplicationPublic:
    application = applications.withdraw(session=session, actor=user, application=application)
    return application_public(session, application)


# --- the officers' side --------------------------------------------------------------------

@router.post(
    "/certifications/applications/{application_id}/assessments",
    status_code=status.HTTP_201_CREATED,
    summary="Assess one precondition or criterion (certification officers)",
    description=(
        "Pass or fail with a note (a failure needs one). The two preconditions come first: "
        "a criterion assessed before both preconditions passed is a 409. Officers never "
        "review their own group's applications (403)."
    ),
    responses=problems(401, 403, 404, 409, 422),
)
def assess(user: OfficerUser, application: ReviewedApplication, data: AssessmentBody,
           session: SessionDep) -> AssessmentPublic:
    assessment = review.assess(session=session, actor=user, application=application,
                               criterion_key=data.criterion_key, passed=data.passed,
                               note=data.note)
    return AssessmentPublic.model_validate(assessment)


@router.post(
    "/certifications/applications/{application_id}/decision",
    summary="Decide on an application (certification officers)",
    description=(
        "Approve (every precondition and criterion passed; the answer carries the new "
        "certificate number), reject or return for changes (both with a note the group "
        "reads). A decided application, or one another officer decided at the same moment, "
        "is a 409."
    ),
    responses=problems(401, 403, 404, 409, 422),
)
def decide(user: OfficerUser, application: ReviewedApplication, data: DecisionBody,
           session: SessionDep, settings: SettingsDep) -> ApplicationPublic:
    review.decide(session=session, settings=settings, actor=user, application=application,
                  decision=data.decision, note=data.note)
    return application_public(session, application)


@router.post(
    "/certifications/{number}/status",
    summary="Suspend, reinstate or revoke a certificate (certification officers)",
    description=(
        "Suspension and revocation need a reason, which the public registry shows. The "
        "product badges follow at once."
    ),
    responses=problems(401, 403, 404, 409, 422),
)
def change_status(user: OfficerUser, certificate: NumberedCertificate, data: ActionBody,
                  session: SessionDep, settings: SettingsDep) -> CertificatePublic:
    certificate = certificates.change_status(session=session, actor=user,
                                             certificate=certificate, action=data.action,
                                             reason=data.reason, reason_km=data.reason_km)
    return certificate_public(session, settings, certificate)
