"""Small helpers shared by tests: log in through the form, read delivered emails."""

import email
import re
import time
from email import policy

from marketplace.notifications.delivery import deliver_pending
from tests.conftest import csrf_from
from tests.factories import DEFAULT_PASSWORD


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
