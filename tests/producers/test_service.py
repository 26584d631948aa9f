"""Producer group rules against the real database."""

import pytest
from sqlmodel import select

from marketplace import access
from marketplace.errors import Forbidden, Gone, InvalidTransition, ValidationFailed
from marketplace.models import AuditEvent, GroupMembership, OutboxMessage, ProducerGroup
from marketplace.producers import service
from marketplace.producers.schemas import GroupApply, GroupUpdate, PayoutDestinationIn
from tests.factories import add_member, create_group, create_user

VALID = {
    "name": "Kuoy Community Handicraft Association", "name_km": "សមាគមសិប្បកម្មកួយ",
    "community": "kuy", "crafts": ["weaving", "basketry"], "province_code": "06",
    "district_code": "0601", "commune_code": "060101", "village_code": "06010101",
    "phone": "012 345 678", "members_count": 20, "women_count": 15,
}


def apply(session, actor, **overrides):
    group = service.apply(session=session, actor=actor,
                          data=GroupApply.model_validate({**VALID, **overrides}))
    session.commit()
    return group


def test_apply_makes_the_applicant_leader_and_audits(session):
    actor = create_user(session)
    group = apply(session, actor)
    assert group.status == "applied" and group.phone == "+85512345678"
    assert group.slug == "kuoy-community-handicraft-association"
    member = session.exec(select(GroupMembership).where(GroupMembership.group_id == group.id)).one()
    assert member.user_id == actor.id and member.role == "leader"
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "producer_group"))
    assert [e.action for e in events] == ["applied"]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"phone": "+33 6 12 34 56 78"}, "phone"),
    ({"phone": "999999"}, "phone"),
    ({"village_code": "16010101"}, "village_code"),
    ({"district_code": "1601"}, "district_code"),
    ({"province_code": "99"}, "province_code"),
    ({"women_count": 30}, "women_count"),
])
def test_bad_application_names_the_field(session, overrides, field):
    actor = create_user(session)
    with pytest.raises(ValidationFailed) as info:
        apply(session, actor, **overrides)
    assert field in info.value.errors
    session.rollback()
    assert session.exec(select(ProducerGroup)).all() == []


def test_lifecycle_is_guarded_and_admin_only(session):
    admin = create_user(session, role=["admin"])
    leader = create_user(session)
    group = apply(session, leader)
    with pytest.raises(Forbidden):
        service.transition(session=session, actor=leader, group=group, to="verified")
    with pytest.raises(InvalidTransition):
        service.transition(session=session, actor=admin, group=group, to="suspended",
                           reason="x")
    service.transition(session=session, actor=admin, group=group, to="verified")
    with pytest.raises(ValidationFailed):
        service.transition(session=session, actor=admin, group=group, to="suspended")
    service.transition(session=session, actor=admin, group=group, to="suspended",
                       reason="complaint upheld")
    service.transition(session=session, actor=admin, group=group, to="verified", reason="ok")
    session.commit()
    actions = [e.action for e in session.exec(select(AuditEvent).where(
        AuditEvent.entity_type == "producer_group").order_by(AuditEvent.id))]
    assert actions == ["applied", "verified", "suspended", "reinstated"]


def test_only_members_update_the_group(session):
    group = create_group(session)
    outsider = create_user(session)
    with pytest.raises(Forbidden):
        service.update(session=session, actor=outsider, group=group,
                       data=GroupUpdate(name="Hijacked"))
    member = add_member(session, group)
    service.update(session=session, actor=member, group=group, data=GroupUpdate(story="New"))
    assert group.story == "New"


def test_payout_change_needs_reverification_and_emails_leader(session, settings):
    admin = create_user(session, role=["admin"])
    group = create_group(session)
    leader_id = group.leader_id
    member = add_member(session, group)
    data = PayoutDestinationIn(method="aba", account_name="Kuoy Assoc", account_number="001 234 567")
    with pytest.raises(Forbidden):  # plain members may not redirect the money
        service.set_payout_destination(session=session, settings=settings, actor=member,
                                       group=group, data=data)
    from marketplace.models import User

    leader = session.get(User, leader_id)
    service.set_payout_destination(session=session, settings=settings, actor=leader,
                                   group=group, data=data)
    assert group.payout_verified_at is None and group.payout_account_number == "001234567"
    mail = session.exec(select(OutboxMessage)).all()
    assert mail[-1].payload["to"] == leader.email and "4567" in mail[-1].payload["body"]
    service.verify_payout_destination(session=session, actor=admin, group=group)
    assert group.payout_verified_at is not None


def test_invitation_joins_once_and_only_for_its_address(session, settings):
    group = create_group(session)
    from marketplace.models import User

    leader = session.get(User, group.leader_id)
    service.invite(session=session, settings=settings, actor=leader, group=group,
                   email="New.Member@example.com")
    body = session.exec(select(OutboxMessage)).all()[-1].payload["body"]
    token = body.split("/invitations/")[1].split()[0]
    stranger = create_user(session, email="stranger@example.com")
    with pytest.raises(Forbidden):
        service.accept_invitation(session=session, actor=stranger, token=token)
    invitee = create_user(session, email="new.member@example.com")
    service.accept_invitation(session=session, actor=invitee, token=token)
    session.commit()
    assert access.membership(session=session, user=invitee, group_id=group.id).role == "member"
    with pytest.raises(Gone):
        service.accept_invitation(session=session, actor=invitee, token=token)
