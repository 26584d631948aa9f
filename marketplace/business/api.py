"""JSON API for businesses: apply, documents, team, and the admins' decisions and terms."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, File, Form, Query, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from marketplace.auth.deps import CurrentUser
from marketplace.business import service
from marketplace.business.schemas import (
    BusinessApply,
    BusinessPublic,
    DecisionIn,
    DocumentPublic,
    InvitationIn,
    MemberPublic,
    MemberRoleIn,
    TermsIn,
)
from marketplace.core.deps import PrivateFilesDep, SettingsDep
from marketplace.core.openapi import problems
from marketplace.core.pagination import Cursor, Limit, Page, next_offset, offset_of
from marketplace.db import SessionDep
from marketplace.media import documents
from marketplace.models import Business, BusinessStatus, DocumentKind, User

router = APIRouter(tags=["businesses"])


class InvitationPublic(BaseModel):
    """An invitation that was emailed; the link itself only goes to the invitee."""

    business_id: int
    email: str
    role: str
    expires_at: datetime

    model_config = ConfigDict(from_attributes=True)


def _business(business_id: int, session: SessionDep, user: CurrentUser) -> Business:
    """The business, for its members and admins (401 before 404)."""
    return service.viewable(session=session, actor=user, business_id=business_id)


OwnBusiness = Annotated[Business, Depends(_business)]
DecisionBody = Annotated[DecisionIn, Body(openapi_examples={
    "verify": {"summary": "Verify", "value": {"decision": "verify",
                                               "reason": "Registration and TIN checked."}},
    "reject": {"summary": "Reject with a reason",
               "value": {"decision": "reject",
                         "reason": "The tax certificate is for another company."}}})]


def _public(business: Business) -> BusinessPublic:
    return BusinessPublic.model_validate(business, from_attributes=True)


@router.post(
    "/businesses",
    status_code=status.HTTP_201_CREATED,
    summary="Apply as a business",
    description=(
        "Registers a shop, hotel, exporter or NGO shop waiting for an administrator's "
        "verification; the applicant becomes its owner. Cambodian businesses give the tax "
        "identification number (K001-901234567), the Ministry of Commerce registration, a "
        "+855 phone and official address codes (village optional); an importer abroad gives "
        "`country_code` and the full address in `address_line`. A person buys for one "
        "business: 409 when the caller already belongs to one."
    ),
    responses=problems(401, 409, 422),
)
def apply(data: BusinessApply, session: SessionDep, user: CurrentUser) -> BusinessPublic:
    return _public(service.apply(session=session, actor=user, data=data))


@router.get(
    "/businesses",
    summary="List businesses (administrators)",
    description="The oldest first; `status=applied` is the verification queue.",
    responses=problems(401, 403, 422),
)
def list_businesses(
    session: SessionDep, user: CurrentUser,
    business_status: Annotated[BusinessStatus | None, Query(alias="status")] = None,
    limit: Limit = 24, cursor: Cursor = None,
) -> Page[BusinessPublic]:
    offset = offset_of(cursor) if cursor else 0
    rows, total = service.list_businesses(session=session, actor=user, status=business_status,
                                          limit=limit, offset=offset)
    return Page[BusinessPublic](data=[_public(b) for b in rows], count=total,
                                next=next_offset(offset, len(rows), total))


@router.get(
    "/businesses/{business_id}",
    summary="One business (its members and administrators)",
    responses=problems(401, 404, 422),
)
def get_business(business: OwnBusiness) -> BusinessPublic:
    return _public(business)


@router.put(
    "/businesses/{business_id}",
    summary="Correct an application (owner)",
    description=("While it waits, or after a rejection, which sends it back to the "
                 "administrators. A verified business changes its details through them."),
    responses=problems(401, 403, 404, 409, 422),
)
def resubmit(business: OwnBusiness, data: BusinessApply, session: SessionDep,
             user: CurrentUser) -> BusinessPublic:
    return _public(service.resubmit(session=session, actor=user, business=business, data=data))


@router.post(
    "/businesses/{business_id}/decision",
    summary="Verify, reject, suspend or reinstate (administrators)",
    description=("Rejecting and suspending need a `reason`, emailed to the owner. Two admins "
                 "deciding at once: the second gets 409."),
    responses=problems(401, 403, 404, 409, 422),
)
def decide(business: OwnBusiness, data: DecisionBody, session: SessionDep,
           settings: SettingsDep, user: CurrentUser) -> BusinessPublic:
    return _public(service.decide(session=session, settings=settings, actor=user,
                                  business=business, decision=data.decision,
                                  reason=data.reason))


@router.put(
    "/businesses/{business_id}/terms",
    summary="Grant or withdraw invoice terms (administrators)",
    description=("Net 15, 30 or 60 days with a credit limit in cents; `payment_terms_days` "
                 "null: card only. Only a verified business may get terms."),
    responses=problems(401, 403, 404, 409, 422),
)
def set_terms(business: OwnBusiness, data: TermsIn, session: SessionDep,
              user: CurrentUser) -> BusinessPublic:
    return _public(service.set_terms(session=session, actor=user, business=business, data=data))


@router.get(
    "/businesses/{business_id}/members",
    summary="The business's people",
    responses=problems(401, 404, 422),
)
def members(business: OwnBusiness, session: SessionDep, user: CurrentUser) -> list[MemberPublic]:
    return [MemberPublic(user_id=u.id, full_name=u.full_name, email=u.email, role=role)
            for u, role in service.members(session=session, actor=user, business=business)]


@router.patch(
    "/businesses/{business_id}/members/{user_id}",
    summary="Change a member's role (owner)",
    description="`owner` or `buyer`. 409 when it would leave the business without an owner.",
    responses=problems(401, 403, 404, 409, 422),
)
def set_member_role(business: OwnBusiness, user_id: int, data: MemberRoleIn,
                    session: SessionDep, user: CurrentUser) -> MemberPublic:
    member = service.set_member_role(session=session, actor=user, business=business,
                                     user_id=user_id, role=data.role)
    person = session.get(User, member.user_id)
    return MemberPublic(user_id=person.id, full_name=person.full_name, email=person.email,
                        role=member.role)


@router.delete(
    "/businesses/{business_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take someone out of the team (owner)",
    description="They no longer see wholesale prices or order for the business. 409 for "
                "the last owner.",
    responses=problems(401, 403, 404, 409),
)
def remove_member(business: OwnBusiness, user_id: int, session: SessionDep,
                  user: CurrentUser) -> Response:
    service.remove_member(session=session, actor=user, business=business, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/businesses/{business_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    summary="Invite someone to buy for the business (owner)",
    description="Emails a link, valid for 14 days, to join with the role given.",
    responses=problems(401, 403, 404, 422),
)
def invite(business: OwnBusiness, data: InvitationIn, session: SessionDep,
           settings: SettingsDep, user: CurrentUser) -> InvitationPublic:
    invitation = service.invite(session=session, settings=settings, actor=user,
                                business=business, email=data.email, role=data.role)
    return InvitationPublic.model_validate(invitation)


@router.post(
    "/business-invitations/{token}/accept",
    summary="Accept an invitation to a business",
    description=("The invitation must be addressed to the caller's email; 404 for a token "
                 "that never existed, 410 once used or expired."),
    responses=problems(401, 403, 404, 409, 410),
)
def accept(token: str, session: SessionDep, user: CurrentUser) -> BusinessPublic:
    return _public(service.accept_invitation(session=session, actor=user, token=token))


@router.post(
    "/businesses/{business_id}/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a supporting document (owner)",
    description=("A PDF or a photo (JPEG, PNG, WebP) of at most 10 MB, checked by its content: "
                 "the registration certificate, the tax certificate, or another."),
    responses=problems(401, 403, 404, 422),
)
def upload_document(business: OwnBusiness, session: SessionDep, files: PrivateFilesDep,
                    user: CurrentUser, file: Annotated[UploadFile, File()],
                    kind: Annotated[DocumentKind, Form()] = DocumentKind.REGISTRATION,
                    ) -> DocumentPublic:
    data = file.file.read(documents.MAX_BYTES + 1)
    document = service.add_document(session=session, files=files, actor=user,
                                    business=business, kind=kind, data=data,
                                    filename=file.filename or "")
    return DocumentPublic.model_validate(document, from_attributes=True)


@router.get(
    "/businesses/{business_id}/documents",
    summary="The business's documents",
    responses=problems(401, 404, 422),
)
def list_documents(business: OwnBusiness, session: SessionDep,
                   user: CurrentUser) -> list[DocumentPublic]:
    return [DocumentPublic.model_validate(d, from_attributes=True)
            for d in service.documents_of(session=session, actor=user, business=business)]


@router.get(
    "/businesses/{business_id}/documents/{document_id}",
    summary="Download a document",
    description="Sent as an attachment, to the business's members and administrators only.",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}}},
               **problems(401, 404, 422)},
)
def download_document(business: OwnBusiness, document_id: int, session: SessionDep,
                      files: PrivateFilesDep, user: CurrentUser) -> Response:
    document = service.document(session=session, actor=user, business=business,
                                document_id=document_id)
    return files.download(document)
