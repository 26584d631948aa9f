"""A seal that is not valid cannot be printed as valid: its hang-tag and QR codes are refused
with the reason, no page links to them, the registry search still finds it with its status,
and seal numbers resolve whatever their letter case."""

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from marketplace.certification.service import certificates
from marketplace.models import Certificate, CertificationApplication, User, utcnow
from tests.factories import create_group, create_user, issue_certificate

REVOKED_REASON = "Machine-woven copies were sold with this seal"
SUSPENDED_REASON = "A complaint about the dyes is being checked"


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _make(session, settings, certificate: Certificate, case: str) -> None:
    """Bring the certificate into ``case`` the way it happens in the service."""
    session.commit()  # end the test's read transaction: the app has written since (SQLite)
    officer = create_user(session, role=["officer"])
    if case == "revoked":
        certificates.change_status(session=session, actor=officer, certificate=certificate,
                                   action="revoke", reason=REVOKED_REASON)
    elif case == "suspended":
        certificates.change_status(session=session, actor=officer, certificate=certificate,
                                   action="suspend", reason=SUSPENDED_REASON)
    else:  # past its date; "expired" also after the nightly job has marked it
        session.execute(update(Certificate).where(Certificate.id == certificate.id)
                        .values(expires_at=utcnow() - timedelta(days=3)))
        if case == "expired":
            assert certificates.expire_due(session=session, settings=settings)[0] == 1
    session.commit()


CASES = {
    # case: (status shown, HTTP status, why)
    "revoked": ("revoked", 410, REVOKED_REASON),
    "suspended": ("suspended", 409, SUSPENDED_REASON),
    "expired": ("expired", 410, "This seal expired on"),
    "past_its_date": ("expired", 410, "This seal expired on"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_seal_that_is_not_valid_has_no_hang_tag_or_qr_code(case, session, storage, settings,
                                                            signed_in):
    certificate = issue_certificate(session, storage, settings)
    number = certificate.number
    client = signed_in()
    assert client.get(f"/seal/{number}/tag").status_code == 200  # printable while valid
    leader = signed_in(session.get(User, session.get(
        CertificationApplication, certificate.application_id).created_by_id))
    dashboard = f"/dashboard/seal/{certificate.application_id}"
    assert f'href="/seal/{number}/tag"' in leader.get(dashboard).text
    _make(session, settings, certificate, case)
    shown, status_code, why = CASES[case]

    tag = client.get(f"/seal/{number}/tag")
    assert tag.status_code == status_code
    words = _text(tag.text)
    assert why in words
    assert "can no longer be printed" in words or "cannot be printed" in words
    assert f'href="/seal/{number}"' in tag.text  # to the certificate page, which says more
    assert "qr.svg" not in tag.text
    khmer = signed_in()
    khmer.cookies.set("lang", "km")
    in_khmer = khmer.get(f"/seal/{number}/tag")
    assert in_khmer.status_code == status_code and 'lang="km"' in in_khmer.text
    for kind in ("svg", "png"):
        qr = client.get(f"/seal/{number}/qr.{kind}")
        assert qr.status_code == status_code, kind
        assert not qr.headers["content-type"].startswith("image/"), kind
        assert "<svg" not in qr.text and not qr.content.startswith(b"\x89PNG")
        assert "no-store" in qr.headers["cache-control"]

    page = client.get(f"/seal/{number}")
    assert page.status_code == 200
    assert f"/seal/{number}/tag" not in page.text and "/qr." not in page.text
    mine = leader.get(dashboard)
    assert f"/seal/{number}/tag" not in mine.text
    assert CASES[case][0].capitalize() in _text(mine.text)
    listing = leader.get("/dashboard/seal")
    assert number in listing.text and shown.capitalize() in _text(listing.text)


@pytest.mark.parametrize("case", list(CASES))
def test_the_registry_search_finds_seals_that_are_not_valid(case, session, storage, settings,
                                                            client):
    group = create_group(session, name="Kreung Basket Makers", province_code="16")
    certificate = issue_certificate(session, storage, settings, group=group)
    valid = issue_certificate(session, storage, settings, group=group)
    _make(session, settings, certificate, case)
    shown = CASES[case][0]

    listing = client.get("/seal")  # browsing lists the valid seals only
    assert valid.number in listing.text and certificate.number not in listing.text
    for q in (certificate.number, certificate.number.lower(), "kreung basket"):
        found = client.get("/seal", params={"q": q})
        words = _text(found.text)
        assert certificate.number in found.text, q
        assert re.search(rf"{certificate.number} .*? {shown.capitalize()}", words, re.I), q
    both = _text(client.get("/seal", params={"q": "kreung"}).text)
    assert "2 seals found" in both
    assert both.index(valid.number) < both.index(certificate.number)  # valid ones first
    assert certificate.number not in client.get("/seal", params={"province": "16"}).text

    api = client.get(f"/api/v1/certifications/{certificate.number.lower()}")
    assert api.status_code == 200 and api.json()["status"] == shown


def test_seal_numbers_resolve_whatever_their_letter_case(session, storage, settings, client):
    certificate = issue_certificate(session, storage, settings)
    number = certificate.number
    assert number.startswith("SoE-")
    url = certificates.verification_url(settings, session, certificate)
    token = parse_qs(urlsplit(url).query)["t"][0]
    for typed in (number.lower(), number.upper(), f" {number.swapcase()} "):
        page = client.get(f"/seal/{typed}", params={"t": token})
        assert page.status_code == 200, typed
        assert "This hang-tag is genuine" in page.text, typed
        assert f"Seal of Excellence {number}" in page.text
        assert client.get(f"/seal/{typed}/tag").status_code == 200
        assert client.get(f"/seal/{typed}/qr.png").content.startswith(b"\x89PNG")
        assert "<svg" in client.get(f"/seal/{typed}/qr.svg").text
        api = client.get(f"/api/v1/certifications/{typed}")
        assert api.status_code == 200 and api.json()["number"] == number
    assert client.get("/seal/soe-2026-999999").status_code == 404
    assert client.get("/api/v1/certifications/soe-2026-999999").status_code == 404


def test_a_cached_qr_code_is_asked_for_again_and_refused_after_revocation(session, storage,
                                                                          settings, client):
    certificate = issue_certificate(session, storage, settings)
    url = f"/seal/{certificate.number}/qr.png"
    first = client.get(url)
    assert first.status_code == 200 and "no-cache" in first.headers["cache-control"]
    etag = first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    _make(session, settings, certificate, "revoked")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 410
