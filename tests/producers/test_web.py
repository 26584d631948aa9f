"""Producer group pages as a phone browser without JavaScript uses them: registration with the
address chosen level by level, the dashboard, invitations, payout destination, admin checks."""

from sqlmodel import select

from marketplace.models import (
    AuditEvent,
    GroupInvitation,
    GroupMembership,
    ProducerGroup,
    Product,
)
from tests.factories import add_member, create_group, create_product, create_user
from tests.helpers import csrf_from, delivered_mail, form_post, link_in, login

TYPED = {
    "name": "Kuoy Community Handicraft Association",
    "name_km": "សមាគមសិប្បកម្មសហគមន៍កួយ",
    "community": "kuy",
    "crafts": ["weaving", "basketry"],
    "phone": "012 345 678",
    "members_count": "24",
    "women_count": "19",
    "moc_registration": "MOC-2011-0042",
    "story": "Kuy silk weavers since our grandmothers' time.",
    "story_km": "អ្នកត្បាញសូត្រកួយ",
}
ADDRESS = {"province_code": "16", "district_code": "1601", "commune_code": "160101",
           "village_code": "16010101"}


def _fresh(session):
    """End the test session's read transaction and forget loaded rows: see what the app
    committed since (SQLite keeps a snapshot for the whole transaction)."""
    session.rollback()
    session.expire_all()


def _apply(client, data):
    return form_post(client, "/groups/apply", "/groups/apply", data)


def _groups(session):
    _fresh(session)
    return list(session.exec(select(ProducerGroup)))


def test_registration_chooses_the_address_step_by_step(client, session):
    user = create_user(session, email="leader@example.com", full_name="Srey Mom")
    login(client, "leader@example.com")
    first = client.get("/groups/apply")
    assert first.status_code == 200
    assert 'name="province_code"' in first.text and 'name="district_code"' not in first.text
    assert "Next: choose district" in first.text

    districts = _apply(client, {**TYPED, "province_code": "16", "step": "district"})
    assert districts.status_code == 200
    assert '<option value="16" selected>' in districts.text
    assert '<option value="1601">Andoung Meas</option>' in districts.text
    assert 'name="commune_code"' not in districts.text
    # everything typed so far is still there
    assert 'value="Kuoy Community Handicraft Association"' in districts.text
    assert 'value="012 345 678"' in districts.text
    assert 'value="basketry" checked' in districts.text
    assert "Kuy silk weavers since our grandmothers&#39; time." in districts.text

    communes = _apply(client, {**TYPED, "province_code": "16", "district_code": "1601",
                               "step": "commune"})
    assert '<option value="1601" selected>' in communes.text
    assert '<option value="160101">Malik</option>' in communes.text
    villages = _apply(client, {**TYPED, "province_code": "16", "district_code": "1601",
                               "commune_code": "160101", "step": "village"})
    assert '<option value="16010101">Malik</option>' in villages.text

    # changing the province and pressing "Next" asks for the district again
    moved = _apply(client, {**TYPED, **ADDRESS, "province_code": "11", "step": "district"})
    assert '<option value="1601"' not in moved.text and 'name="commune_code"' not in moved.text

    done = _apply(client, {**TYPED, **ADDRESS, "step": "save"})
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"
    [group] = _groups(session)
    assert group.status == "applied" and group.phone == "+85512345678"
    assert group.crafts == ["weaving", "basketry"] and group.village_code == "16010101"
    assert group.name_km == TYPED["name_km"] and group.women_count == 19
    membership = session.exec(select(GroupMembership)).one()
    assert membership.user_id == user.id and membership.role == "leader"

    dashboard = client.get("/dashboard")
    assert "an administrator will verify the group" in dashboard.text
    assert "Waiting for verification" in dashboard.text
    assert "Only the products of verified groups are visible to buyers." in dashboard.text
    assert "Malik, Malik, Andoung Meas, Ratanak Kiri" in dashboard.text


def test_foreign_phone_is_refused_next_to_the_field_keeping_what_was_typed(client, session):
    create_user(session, email="p@example.com")
    login(client, "p@example.com")
    response = _apply(client, {**TYPED, **ADDRESS, "phone": "+33 6 12 34 56 78",
                               "step": "save"})
    assert response.status_code == 422
    assert 'id="e-phone"' in response.text and "Cambodian phone number" in response.text
    assert 'value="+33 6 12 34 56 78"' in response.text
    assert 'value="Kuoy Community Handicraft Association"' in response.text
    assert '<option value="16010101" selected>' in response.text  # the address is kept
    assert _groups(session) == []


def test_village_of_another_commune_is_refused(client, session):
    create_user(session, email="v@example.com")
    login(client, "v@example.com")
    response = _apply(client, {**TYPED, **ADDRESS, "village_code": "16010301",
                               "step": "save"})
    assert response.status_code == 422
    assert 'id="e-village_code"' in response.text
    assert "Choose a village in this commune." in response.text
    assert 'value="Kuoy Community Handicraft Association"' in response.text
    assert '<option value="160101" selected>' in response.text
    assert _groups(session) == []


def test_missing_fields_and_crafts_are_named(client, session):
    create_user(session, email="m@example.com")
    login(client, "m@example.com")
    response = _apply(client, {**TYPED, **ADDRESS, "crafts": [], "members_count": "",
                               "step": "save"})
    assert response.status_code == 422
    assert 'id="e-crafts"' in response.text and 'id="e-members_count"' in response.text


def test_registration_needs_a_login(client):
    response = client.get("/groups/apply")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/auth/login?next=")


def test_dashboard_without_a_group_offers_registration(client, session):
    create_user(session, email="nobody@example.com")
    login(client, "nobody@example.com")
    page = client.get("/dashboard")
    assert page.status_code == 200 and 'href="/groups/apply"' in page.text


def test_admin_verifies_suspends_with_reason_and_reinstates(client, session):
    group = create_group(session, status="applied", name="Jarai Potters")
    product = create_product(session, group=group)
    assert not product.visible
    create_user(session, email="admin@example.com", full_name="Admin Dara", role=["admin"])
    login(client, "admin@example.com")
    listing = client.get("/admin/groups")
    assert "Jarai Potters" in listing.text and "Verify the group" in listing.text

    verified = form_post(client, "/admin/groups", f"/admin/groups/{group.id}/transition",
                         {"to": "verified", "next": "/admin/groups"})
    assert verified.status_code == 303
    _fresh(session)
    assert session.get(ProducerGroup, group.id).status == "verified"
    assert session.get(Product, product.id).visible  # its products are visible now

    no_reason = form_post(client, f"/admin/groups/{group.id}",
                          f"/admin/groups/{group.id}/transition", {"to": "suspended"})
    assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
    _fresh(session)
    assert session.get(ProducerGroup, group.id).status == "verified"

    form_post(client, f"/admin/groups/{group.id}", f"/admin/groups/{group.id}/transition",
              {"to": "suspended", "reason": "Complaint about copied designs"})
    _fresh(session)
    assert session.get(ProducerGroup, group.id).status == "suspended"
    assert not session.get(Product, product.id).visible
    form_post(client, "/admin/groups?status=suspended", f"/admin/groups/{group.id}/transition",
              {"to": "verified"})
    _fresh(session)
    assert session.get(ProducerGroup, group.id).status == "verified"

    history = client.get(f"/admin/groups/{group.id}").text
    for text in ("Verified", "Suspended", "Reinstated", "Complaint about copied designs",
                 "Admin Dara"):
        assert text in history
    actions = session.exec(select(AuditEvent.action).where(
        AuditEvent.entity_type == "producer_group", AuditEvent.entity_id == group.id)).all()
    assert sorted(actions) == ["reinstated", "suspended", "verified"]


def test_admin_list_shows_applied_groups_first(client, session):
    create_group(session, name="Aaa Verified Group")
    create_group(session, status="applied", name="Zzz Applied Group")
    create_user(session, email="admin@example.com", role=["admin"])
    login(client, "admin@example.com")
    page = client.get("/admin/groups").text
    assert page.index("Zzz Applied Group") < page.index("Aaa Verified Group")
    only_verified = client.get("/admin/groups?status=verified").text
    assert "Zzz Applied Group" not in only_verified


def test_admin_pages_are_for_admins_only(client, session):
    group = create_group(session, status="applied")
    create_user(session, email="plain@example.com")
    login(client, "plain@example.com")
    assert client.get("/admin/groups").status_code == 403
    response = form_post(client, "/dashboard", f"/admin/groups/{group.id}/transition",
                         {"to": "verified"})
    assert response.status_code == 403
    _fresh(session)
    assert session.get(ProducerGroup, group.id).status == "applied"


def test_invitation_email_accept_and_become_member(client, engine, settings, session):
    leader = create_user(session, email="leader@example.com", full_name="Srey Leader")
    group = create_group(session, leader=leader, name="Bunong Weavers")
    create_user(session, email="new@example.com", full_name="New Weaver")
    login(client, "leader@example.com")
    sent = form_post(client, "/dashboard", f"/dashboard/groups/{group.id}/invite",
                     {"email": "New@Example.com", "role": "member"})
    assert sent.status_code == 303
    [mail] = delivered_mail(engine, settings)
    assert mail["To"] == "new@example.com" and "Bunong Weavers" in mail["Subject"]
    link = link_in(mail, "/invitations/")

    client.cookies.clear()  # the invited person, on another phone
    anonymous = client.get(link)
    assert anonymous.status_code == 303
    login_page = anonymous.headers["location"]
    assert login_page.startswith("/auth/login?next=")
    back = form_post(client, login_page, "/auth/login",
                     {"email": "new@example.com", "password": "correct horse battery",
                      "next": link})
    assert back.headers["location"] == link
    page = client.get(link)
    assert page.status_code == 200 and "Bunong Weavers" in page.text
    accepted = form_post(client, link, link, {})
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/dashboard?group_id={group.id}"
    assert "Bunong Weavers" in client.get(accepted.headers["location"]).text
    roles = session.exec(select(GroupMembership.role).where(
        GroupMembership.group_id == group.id)).all()
    assert sorted(roles) == ["leader", "member"]

    used = client.get(link)
    assert used.status_code == 410 and "Ask the leader" in used.text


def test_invitation_for_another_address_cannot_be_accepted(client, engine, settings, session):
    leader = create_user(session, email="leader@example.com")
    group = create_group(session, leader=leader)
    create_user(session, email="other@example.com")
    login(client, "leader@example.com")
    form_post(client, "/dashboard", f"/dashboard/groups/{group.id}/invite",
              {"email": "invited@example.com", "role": "member"})
    link = link_in(delivered_mail(engine, settings)[0], "/invitations/")
    client.cookies.clear()
    login(client, "other@example.com")
    page = client.get(link)
    assert "sent to another email address" in page.text and "Accept" not in page.text
    refused = client.post(link, data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403
    assert len(session.exec(select(GroupMembership)).all()) == 1


def test_bad_invitation_email_is_shown_on_the_dashboard(client, session):
    leader = create_user(session, email="leader@example.com")
    group = create_group(session, leader=leader)
    login(client, "leader@example.com")
    response = form_post(client, "/dashboard", f"/dashboard/groups/{group.id}/invite",
                         {"email": "not an email", "role": "member"})
    assert response.status_code == 422
    assert 'id="e-email"' in response.text and 'value="not an email"' in response.text
    assert session.exec(select(GroupInvitation)).all() == []


def test_only_the_leader_invites(client, session):
    group = create_group(session)
    member = add_member(session, group, create_user(session, email="member@example.com"))
    assert member
    login(client, "member@example.com")
    page = client.get("/dashboard").text
    assert f"/dashboard/groups/{group.id}/invite" not in page
    assert f"/dashboard/groups/{group.id}/payout" not in page
    response = form_post(client, "/dashboard", f"/dashboard/groups/{group.id}/invite",
                         {"email": "friend@example.com", "role": "leader"})
    assert response.status_code == 403
    assert session.exec(select(GroupInvitation)).all() == []


def test_payout_change_emails_the_leader_and_needs_verification(client, engine, settings,
                                                               session):
    leader = create_user(session, email="leader@example.com")
    group = create_group(session, leader=leader, name="Resin Enterprise")
    create_user(session, email="admin@example.com", role=["admin"])
    login(client, "leader@example.com")

    missing_bank = form_post(client, "/dashboard", f"/dashboard/groups/{group.id}/payout",
                             {"method": "bank", "account_name": "Resin Enterprise",
                              "account_number": "1234 5678", "bank_name": ""})
    assert missing_bank.status_code == 422 and 'id="e-bank_name"' in missing_bank.text
    assert 'value="1234 5678"' in missing_bank.text

    saved = form_post(client, "/dashboard", f"/dashboard/groups/{group.id}/payout",
                      {"method": "aba", "account_name": "Resin Enterprise",
                       "account_number": "000 123 456", "bank_name": ""})
    assert saved.status_code == 303
    _fresh(session)
    stored = session.get(ProducerGroup, group.id)
    assert stored.payout_method == "aba" and stored.payout_account_number == "000123456"
    assert stored.payout_verified_at is None
    [mail] = delivered_mail(engine, settings)
    assert mail["To"] == "leader@example.com" and "ending in 3456" in mail.get_content()
    assert "Waiting for verification by an administrator" in client.get("/dashboard").text

    client.cookies.clear()
    login(client, "admin@example.com")
    assert "Payout destination waiting for verification" in client.get("/admin/groups").text
    form_post(client, "/admin/groups", f"/admin/groups/{group.id}/payout/verify",
              {"next": "/admin/groups"})
    _fresh(session)
    assert session.get(ProducerGroup, group.id).payout_verified_at is not None

    client.cookies.clear()
    login(client, "leader@example.com")
    assert "Verified by an administrator" in client.get("/dashboard").text
    form_post(client, "/dashboard", f"/dashboard/groups/{group.id}/payout",
              {"method": "wing", "account_name": "Resin Enterprise",
               "account_number": "012 999 888", "bank_name": ""})
    _fresh(session)
    assert session.get(ProducerGroup, group.id).payout_verified_at is None
    mails = delivered_mail(engine, settings)
    assert len(mails) == 2 and "ending in 9888" in mails[-1].get_content()


def test_member_edits_the_profile_and_others_cannot(client, session):
    leader = create_user(session, email="leader@example.com")
    group = create_group(session, leader=leader)
    other = create_group(session)
    login(client, "leader@example.com")
    page = client.get(f"/dashboard/groups/{group.id}/edit")
    assert page.status_code == 200 and f'value="{group.name}"' in page.text
    assert '<option value="16010101" selected>' in page.text
    values = {"name": "Tampuan Weavers", "name_km": group.name_km, "community": "tampuan",
              "crafts": ["weaving", "pottery"], **ADDRESS, "phone": "+855 97 123 4567",
              "members_count": "15", "women_count": "16", "moc_registration": "",
              "story": "", "story_km": "", "step": "save"}
    too_many_women = form_post(client, f"/dashboard/groups/{group.id}/edit",
                               f"/dashboard/groups/{group.id}/edit", values)
    assert too_many_women.status_code == 422 and 'id="e-women_count"' in too_many_women.text
    saved = form_post(client, f"/dashboard/groups/{group.id}/edit",
                      f"/dashboard/groups/{group.id}/edit", {**values, "women_count": "12"})
    assert saved.status_code == 303
    _fresh(session)
    changed = session.get(ProducerGroup, group.id)
    assert changed.name == "Tampuan Weavers" and changed.phone == "+855971234567"
    assert changed.crafts == ["weaving", "pottery"]

    assert client.get(f"/dashboard/groups/{other.id}/edit").status_code == 403
    refused = form_post(client, "/dashboard", f"/dashboard/groups/{other.id}/edit",
                        {**values, "women_count": "1"})
    assert refused.status_code == 403
    _fresh(session)
    assert session.get(ProducerGroup, other.id).name == other.name
