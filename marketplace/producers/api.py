"""JSON API for producer groups: apply, profile, verification, payout destination, invitations."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, status
from pydantic import BaseModel, ConfigDict

from marketplace import access
from marketplace.auth.deps import CurrentUser, OptionalUser
from marketplace.core.deps import SettingsDep, StorageDep
from marketplace.core.openapi import problems
from marketplace.core.pagination import Cursor, Limit, Page, next_offset, offset_of
from marketplace.db import SessionDep
from marketplace.models import GroupStatus, ProducerGroup
from marketplace.producers import service
from marketplace.producers.schemas import (
    GroupApply,
    GroupPrivate,
    GroupPublic,
    GroupUpdate,
    InvitationIn,
    PayoutDestinationIn,
    TransitionIn,
)
from marketplace.producers.serialize import group_public

router = APIRouter(tags=["producer groups"])


class InvitationPublic(BaseModel):
    """An invitation that was emailed; the link itself only goes to the invitee."""

    group_id: int
    email: str
    role: str
    expires_at: datetime

    model_config = ConfigDict(from_attributes=True)


def _group(group_id: int, session: SessionDep, user: CurrentUser) -> ProducerGroup:
    """The group to change (401 before 404: only signed-in callers learn which ids exist)."""
    return access.get_group(session=session, group_id=group_id)


AnyGroup = Annotated[ProducerGroup, Depends(_group)]
UpdateBody = Annotated[GroupUpdate, Body(openapi_examples={
    "phone": {"summary": "New phone number and member count",
              "value": {"phone": "+855 97 765 4321", "members_count": 26, "women_count": 21}},
    "story": {"summary": "The group's story in Khmer",
              "value": {"story_km": "ក្រុមយើងត្បាញសូត្រតាំងពីដូនតា"}},
})]
ReasonBody = Annotated[TransitionIn, Body(openapi_examples={
    "reason": {"summary": "With a reason, kept in the audit log",
               "value": {"reason": "Visited the village on 3 March; registration checked."}}})]
OptionalReasonBody = Annotated[TransitionIn | None, Body(openapi_examples={
    "none": {"summary": "No reason", "value": {}},
    "reason": {"summary": "With a reason, kept in the audit log",
               "value": {"reason": "Visited the village on 3 March; registration checked."}}})]
PayoutBody = Annotated[PayoutDestinationIn, Body(openapi_examples={
    "aba": {"summary": "ABA account",
            "value": {"method": "aba", "account_name": "Kuy Weavers Association",
                      "account_number": "000 123 456"}},
    "bank": {"summary": "Bank account",
             "value": {"method": "bank", "account_name": "Kuy Weavers Association",
                       "account_number": "1234 5678 9012", "bank_name": "ACLEDA Bank"}},
})]
InvitationBody = Annotated[InvitationIn, Body(openapi_examples={
    "member": {"summary": "Invite a member",
               "value": {"email": "sreymom@example.com", "role": "member"}}})]


@router.get(
    "/producer-groups",
    summary="List producer groups",
    description=(
        "Verified groups, by name. Administrators may pass `status` to list groups that "
        "applied or are suspended. Paginate with `limit` and either `cursor` (the `next` "
        "of the previous answer) or `page`."
    ),
    responses=problems(422),
)
def list_groups(
    session: SessionDep,
    storage: StorageDep,
    user: OptionalUser,
    group_status: Annotated[GroupStatus | None, Query(alias="status")] = None,
    province: Annotated[str | None, Query(pattern=r"^\d{2}$",
                                          description="Province code, e.g. 16")] = None,
    limit: Limit = 24,
    cursor: Cursor = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Page[GroupPublic]:
    offset = offset_of(cursor) if cursor else (page - 1) * limit
    groups, total = service.list_groups(session=session, actor=user, status=group_status,
                                        province=province, limit=limit, offset=offset)
    return Page[GroupPublic](data=[group_public(storage, g) for g in groups], count=total,
                             next=next_offset(offset, len(groups), total))


@router.get(
    "/producer-groups/{group_id}",
    summary="One producer group",
    description=(
        "Anyone may read a verified group. Its members and administrators also see the phone "
        "number and payout details, and may read a group that is not verified yet."
    ),
    response_model=GroupPrivate | GroupPublic,
    responses=problems(404, 422),
)
def get_group(group_id: int, session: SessionDep, storage: StorageDep, user: OptionalUser):
    group, private = service.viewable_group(session=session, actor=user, group_id=group_id)
    return group_public(storage, group, private=private)


@router.post(
    "/producer-groups",
    status_code=status.HTTP_201_CREATED,
    summary="Apply as a producer group",
    description=(
        "Registers a group waiting for verification by the programme staff; the applicant "
        "becomes its leader. The phone must be Cambodian (+855) and the province, district, "
        "commune and village codes must nest."
    ),
    responses=problems(401, 422),
)
def apply(data: GroupApply, session: SessionDep, storage: StorageDep,
          user: CurrentUser) -> GroupPrivate:
    group = service.apply(session=session, actor=user, data=data)
    return group_public(storage, group, private=True)


@router.patch(
    "/producer-groups/{group_id}",
    summary="Change a group's profile",
    description="Members of the group only. Omitted fields stay as they are.",
    responses=problems(401, 403, 404, 422),
)
def update_group(group: AnyGroup, data: UpdateBody, session: SessionDep, storage: StorageDep,
                 user: CurrentUser) -> GroupPrivate:
    group = service.update(session=session, actor=user, group=group, data=data)
    return group_public(storage, group, private=True)


def _transition(session, storage, user, group, to: GroupStatus, data: TransitionIn | None):
    group = service.transition(session=session, actor=user, group=group, to=to,
                               reason=data.reason if data else "")
    return group_public(storage, group, private=True)


@router.post(
    "/producer-groups/{group_id}/verify",
    summary="Verify a group (administrators)",
    description="From `applied` to `verified`: its published products become visible.",
    responses=problems(401, 403, 404, 409, 422),
)
def verify_group(group: AnyGroup, session: SessionDep, storage: StorageDep, user: CurrentUser,
                 data: OptionalReasonBody = None) -> GroupPrivate:
    return _transition(session, storage, user, group, GroupStatus.VERIFIED, data)


@router.post(
    "/producer-groups/{group_id}/suspend",
    summary="Suspend a group (administrators)",
    description="From `verified` to `suspended`, with a reason; its products are hidden.",
    responses=problems(401, 403, 404, 409, 422),
)
def suspend_group(group: AnyGroup, data: ReasonBody, session: SessionDep,
                  storage: StorageDep, user: CurrentUser) -> GroupPrivate:
    return _transition(session, storage, user, group, GroupStatus.SUSPENDED, data)


@router.post(
    "/producer-groups/{group_id}/reinstate",
    summary="Reinstate a suspended group (administrators)",
    description="From `suspended` back to `verified`.",
    responses=problems(401, 403, 404, 409, 422),
)
def reinstate_group(group: AnyGroup, session: SessionDep, storage: StorageDep,
                    user: CurrentUser, data: OptionalReasonBody = None) -> GroupPrivate:
    return _transition(session, storage, user, group, GroupStatus.VERIFIED, data)


@router.put(
    "/producer-groups/{group_id}/payout-destination",
    summary="Set where payouts go (group leader)",
    description=(
        "Payouts stop until an administrator verifies the new destination; the leader is "
        "told by email."
    ),
    responses=problems(401, 403, 404, 422),
)
def set_payout_destination(group: AnyGroup, data: PayoutBody, session: SessionDep,
                           storage: StorageDep, settings: SettingsDep,
                           user: CurrentUser) -> GroupPrivate:
    group = service.set_payout_destination(session=session, settings=settings, actor=user,
                                           group=group, data=data)
    return group_public(storage, group, private=True)


@router.post(
    "/producer-groups/{group_id}/payout-destination/verify",
    summary="Verify a payout destination (administrators)",
    responses=problems(401, 403, 404, 409, 422),
)
def verify_payout_destination(group: AnyGroup, session: SessionDep, storage: StorageDep,
                              user: CurrentUser) -> GroupPrivate:
    group = service.verify_payout_destination(session=session, actor=user, group=group)
    return group_public(storage, group, private=True)


@router.post(
    "/producer-groups/{group_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    summary="Invite someone to the group (group leader)",
    description="Emails a link, valid for 14 days, to join the group with the given role.",
    responses=problems(401, 403, 404, 422),
)
def invite(group: AnyGroup, data: InvitationBody, session: SessionDep, settings: SettingsDep,
           user: CurrentUser) -> InvitationPublic:
    invitation = service.invite(session=session, settings=settings, actor=user, group=group,
                                email=data.email, role=data.role)
    return InvitationPublic.model_validate(invitation)
