"""Domain errors. Each carries the HTTP status it maps to; the API renders them as RFC 9457
problem+json, HTML as a friendly page (see ``marketplace.core.problems``).

    MarketplaceError (500)
    ├── BadRequest (400)
    ├── NotAuthenticated (401)
    ├── Forbidden (403)
    │   └── CsrfFailed (403)
    ├── NotFound (404)
    ├── Conflict (409)
    │   ├── EmailTaken (409)
    │   ├── InvalidTransition (409)
    │   └── InsufficientStock (409)
    ├── Gone (410)
    ├── ValidationFailed (422)    one message per field
    └── TooManyRequests (429)     carries Retry-After seconds
"""

from marketplace.i18n import gettext as _


class MarketplaceError(Exception):
    """Base of every error the service raises on purpose."""

    status_code = 500
    slug = "internal-error"

    def __init__(self, detail: str | None = None, **extra) -> None:
        self.detail = detail or self.default_detail()
        self.extra = extra
        super().__init__(self.detail)

    def default_detail(self) -> str:
        return _("Something went wrong.")

    @property
    def title(self) -> str:
        return self.default_detail()


class BadRequest(MarketplaceError):
    status_code = 400
    slug = "bad-request"

    def default_detail(self) -> str:
        return _("The request could not be understood.")


class NotAuthenticated(MarketplaceError):
    status_code = 401
    slug = "not-authenticated"

    def default_detail(self) -> str:
        return _("Please log in to continue.")


class Forbidden(MarketplaceError):
    status_code = 403
    slug = "forbidden"

    def default_detail(self) -> str:
        return _("You are not allowed to do this.")


class CsrfFailed(Forbidden):
    slug = "csrf-failed"

    def default_detail(self) -> str:
        return _("This form has expired. Please go back, reload the page and try again.")


class NotFound(MarketplaceError):
    status_code = 404
    slug = "not-found"

    def default_detail(self) -> str:
        return _("We could not find that page.")


class Conflict(MarketplaceError):
    status_code = 409
    slug = "conflict"

    def default_detail(self) -> str:
        return _("This conflicts with the current state. Reload and try again.")


class EmailTaken(Conflict):
    slug = "email-taken"

    def default_detail(self) -> str:
        return _("An account with this email address already exists.")


class InvalidTransition(Conflict):
    slug = "invalid-transition"

    def default_detail(self) -> str:
        return _("This change is not allowed from the current status.")


class InsufficientStock(Conflict):
    slug = "insufficient-stock"

    def default_detail(self) -> str:
        return _("Not enough stock is left.")


class Gone(MarketplaceError):
    status_code = 410
    slug = "gone"

    def default_detail(self) -> str:
        return _("This link has expired or was already used.")


class ValidationFailed(MarketplaceError):
    """Invalid input; ``errors`` maps a field name to its message."""

    status_code = 422
    slug = "validation-failed"

    def __init__(self, errors: dict[str, str], detail: str | None = None) -> None:
        self.errors = errors
        super().__init__(detail)

    def default_detail(self) -> str:
        return _("Some fields need your attention.")


class TooManyRequests(MarketplaceError):
    status_code = 429
    slug = "too-many-requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail)

    def default_detail(self) -> str:
        return _("Too many attempts. Please wait a few minutes and try again.")
