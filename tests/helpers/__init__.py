"""Helpers shared by tests (plain functions, no fixtures: those are in tests/fixtures/).

Here: forms with their CSRF token, logging in, delivered emails, waiting. Beside it:
``api`` (the JSON API: tokens, carts, orders), ``checkout`` (the HTML checkout),
``payments`` (localstripe cards, signed webhooks, paid orders), ``browser`` (Selenium),
``catalog`` (the product form), ``concurrency`` (racing requests), ``server`` (an app on a
real port). Rows are made by ``tests.factories``.
"""

import email
import re
import time
from email import policy

from marketplace.notifications.tasks import deliver_pending
from tests.factories import DEFAULT_PASSWORD

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def form_post(client, page_url: str, post_url: str, data: dict, **kwargs):
    """GET the page (for its CSRF token), then POST the form like a browser would."""
    page = client.get(page_url)
    return client.post(post_url, data={"csrf_token": csrf_from(page.text), **data}, **kwargs)


def login(client, email_address: str, password: str = DEFAULT_PASSWORD):
    response = form_post(client, "/auth/login", "/auth/login",
                         {"email": email_address, "password": password})
    assert response.status_code == 303, response.text
    return response


def delivered_mail(engine, settings) -> list[email.message.EmailMessage]:
    """Run the worker once and return every .eml it wrote, oldest first."""
    deliver_pending(engine, settings)
    if not settings.mail_dir.exists():
        return []
    messages = []
    for path in sorted(settings.mail_dir.glob("*.eml")):
        with path.open("rb") as fh:
            messages.append(email.message_from_binary_file(fh, policy=policy.default))
    return messages


def link_in(message, path_prefix: str) -> str:
    """The first link in the email body whose path starts with ``path_prefix``."""
    body = message.get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]+)", body)
    assert match, f"no {path_prefix} link in: {body}"
    return match.group(1)


def wait_for(predicate, timeout: float = 15.0) -> bool:
    """True once ``predicate()`` is true, polling every 0.1 s; False after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def fresh(session) -> None:
    """See what the app committed since: end the test session's transaction (on SQLite a
    read transaction keeps its snapshot) and expire what it loaded."""
    session.rollback()
    session.expire_all()
