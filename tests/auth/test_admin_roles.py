"""Removing a role on /admin/users (issue 14, item 5): the page asks for confirmation (without
JavaScript) and removes the role of the row it was asked on, and only that one."""

import html
import re

from sqlmodel import select

from marketplace.models import AuditEvent, UserRole
from tests.factories import create_user
from tests.helpers import fresh, login


def _forms(page: str) -> list[dict]:
    """Every POST form on the page as a browser would send it untouched: its action, and
    its fields with their default values (the first option of a select, unless one is
    selected); a form with several submit buttons appears once per button."""
    found = []
    for action, body in re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>',
                                   page, flags=re.S):
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
        for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>',
                                        body, flags=re.S):
            values = re.findall(r'<option value="([^"]*)"( selected)?', options)
            chosen = [v for v, selected in values if selected] or [values[0][0]]
            fields[name] = chosen[0]
        buttons = re.findall(r'<button type="submit"([^>]*)>(.*?)</button>', body, flags=re.S)
        for attributes, label in buttons:
            named = dict(re.findall(r'(name|value)="([^"]*)"', attributes))
            extra = {named["name"]: named.get("value", "")} if "name" in named else {}
            found.append({"action": html.unescape(action), "fields": {**fields, **extra},
                          "label": " ".join(re.sub(r"<[^>]+>", " ", label).split()),
                          "body": body})
    return found


def _roles(session, user) -> set[str]:
    fresh(session)
    return {row.role for row in session.exec(select(UserRole).where(UserRole.user_id == user.id))}


def test_remove_takes_away_the_role_of_that_row_and_no_other(client, session):
    create_user(session, email="boss@example.com", role=["admin"])
    officer = create_user(session, email="chea@example.com", full_name="Chea Officer",
                          role=["officer", "producer"])
    other = create_user(session, email="dara@example.com", role=["officer"])
    login(client, "boss@example.com")
    page = client.get("/admin/users").text

    removals = [f for f in _forms(page) if f["fields"].get("action") == "revoke"
                and f["action"] == f"/admin/users/{officer.id}/roles"]
    officer_removal = [f for f in removals if "Certification officer" in f["body"]]
    assert len(officer_removal) == 1, "one Remove for the officer role of Chea's row"
    form = officer_removal[0]
    assert "Remove the role" in form["body"] and "chea@example.com" in form["body"]
    response = client.post(form["action"], data=form["fields"])
    assert response.status_code == 303

    assert _roles(session, officer) == {"producer"}  # exactly that role went
    assert _roles(session, other) == {"officer"}  # another row's officer is untouched
    flash = client.get("/admin/users").text
    assert "Certification officer" in flash and "removed from chea@example.com" in flash
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "role_revoked")).one()
    assert (audit.entity_id, audit.from_state) == (officer.id, "officer")


def test_removal_is_confirmed_inside_a_closed_details_first(client, session):
    create_user(session, email="boss@example.com", role=["admin"])
    target = create_user(session, email="sokha@example.com", role=["business_buyer"])
    login(client, "boss@example.com")
    page = client.get("/admin/users").text
    row = page[page.index("sokha@example.com"):]
    row = row[:row.index("</tr>")]
    # The Remove control only opens the confirmation; the real submit sits inside it.
    details = re.search(r"<details[^>]*>\s*<summary[^>]*>(.*?)</summary>(.*?)</details>", row,
                        flags=re.S)
    assert details, "no confirmation step around the removal"
    assert "<details open" not in row
    assert "Remove" in details.group(1)
    assert f'action="/admin/users/{target.id}/roles"' in details.group(2)
    assert 'name="role" value="business_buyer"' in details.group(2)
    assert "Yes, remove" in details.group(2)


def test_removing_a_role_the_user_does_not_have_says_so(client, session):
    create_user(session, email="boss@example.com", role=["admin"])
    target = create_user(session, email="plain@example.com")
    login(client, "boss@example.com")
    page = client.get("/admin/users").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/users/{target.id}/roles",
                           data={"csrf_token": token, "role": "officer", "action": "revoke"})
    assert response.status_code == 303
    after = client.get("/admin/users").text
    assert "does not have this role" in after
    assert "Role removed" not in after


def test_the_grant_list_offers_only_roles_the_user_does_not_hold(client, session):
    create_user(session, email="boss@example.com", role=["admin"])
    target = create_user(session, email="both@example.com", role=["officer"])
    login(client, "boss@example.com")
    page = client.get("/admin/users").text
    grant = [f for f in _forms(page) if f["action"] == f"/admin/users/{target.id}/roles"
             and f["fields"].get("action") == "grant"]
    assert len(grant) == 1
    assert '<option value="officer"' not in grant[0]["body"]
    assert '<option value="producer"' in grant[0]["body"]
    response = client.post(grant[0]["action"], data=grant[0]["fields"])
    assert response.status_code == 303
    assert _roles(session, target) == {"officer", "producer"}


def test_an_admin_is_not_offered_to_remove_their_own_admin_role(client, session):
    boss = create_user(session, email="boss@example.com", role=["admin", "officer"])
    login(client, "boss@example.com")
    page = client.get("/admin/users").text
    own = [f["fields"]["role"] for f in _forms(page)
           if f["action"] == f"/admin/users/{boss.id}/roles"
           and f["fields"].get("action") == "revoke"]
    assert own == ["officer"]
