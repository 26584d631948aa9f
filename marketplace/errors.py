"""Domain errors. Each carries the HTTP status it maps to; the API renders them as RFC 9457
problem+json, HTML as a friendly page (see ``marketplace.core.problems``).

    MarketplaceError (500)
    ├── UnbalancedTransaction (500)           payments.ledger: entries must sum to zero
    ├── BadRequest (400)
    │   ├── TokenInvalid (400)                core.security: a signed link altered
    │   └── TokenError (400)                  certification.signing: a hang-tag token
    ├── NotAuthenticated (401)
    ├── CardDeclined (402)                    the card was refused; carries a safe message
    ├── Forbidden (403)
    │   └── CsrfFailed (403)
    ├── NotFound (404)
    ├── Conflict (409)
    │   ├── EmailTaken (409)
    │   ├── InvalidTransition (409)
    │   ├── InsufficientStock (409)
    │   ├── PriceChanged (409)                checkout.service
    │   ├── PaymentInProgress, AlreadyPaid, NotPayable, AttemptClosed (409)  orders.payment
    │   ├── RefundInProgress, RefundReversed (409)                           orders.refunds
    │   └── SealNotValid (409 suspended, 410 revoked or expired)   certification.certificates
    ├── Gone (410)
    │   └── TokenExpired (410)                core.security: a signed link past its date
    ├── ContentTooLarge (413)                 core.limits
    ├── ValidationFailed (422)    one message per field
    │   └── IdempotencyKeyReused (422)        checkout.idempotency
    ├── TooManyRequests (429)     carries Retry-After seconds
    │   └── TooManyUnpaidOrders (429)         orders.unpaid
    └── ServiceUnavailable (503)
        └── GatewayUnavailable (503)          the card processor did not answer
            ├── ProcessorRefused (502)        it answered no: retrying cannot help
            └── ProcessorUnreachable (503)    integrations.stripe.webhooks
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
    """``retry_url``: a page that shows the same form with a token (core.csrf), where an
    HTML request is sent instead of the error page."""

    slug = "csrf-failed"

    def __init__(self, detail: str | None = None, *, retry_url: str | None = None) -> None:
        super().__init__(detail)
        self.retry_url = retry_url

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


class TokenInvalid(BadRequest):
    """A signed token that was altered or is not ours."""

    slug = "token-invalid"

    def default_detail(self) -> str:
        return _("This link is not valid.")


class TokenExpired(Gone):
    """A signed token past its date."""

    slug = "token-expired"


class CardDeclined(MarketplaceError):
    """The card was refused; ``message`` is safe to show the buyer."""

    status_code = 402
    slug = "card-declined"

    def __init__(self, message: str = "") -> None:
        self.message = message
        super().__init__(message or None)

    def default_detail(self) -> str:
        return _("Your card was declined. Try another card.")


class ServiceUnavailable(MarketplaceError):
    status_code = 503
    slug = "unavailable"

    def default_detail(self) -> str:
        return _("The marketplace is very busy right now and nothing was saved. Please try "
                 "again in a moment.")


class GatewayUnavailable(ServiceUnavailable):
    """The card processor could not be reached or answered with an error: the outcome is
    not known, so the call may be retried with the same idempotency key. ``reason`` is for
    the logs (and staff), never shown to buyers; the detail shown is generic."""

    slug = "processor-unavailable"

    def __init__(self, reason: str = "", detail: str | None = None) -> None:
        self.reason = reason
        super().__init__(detail)

    def __str__(self) -> str:
        return self.reason or self.detail

    def default_detail(self) -> str:
        return _("We could not reach the card processor. Try again in a minute; you will not "
                 "be charged twice.")


class ProcessorRefused(GatewayUnavailable):
    """The processor answered and refused the request (e.g. a refund of more than what is
    left on the charge): retrying the same request cannot succeed."""

    status_code = 502
    slug = "processor-refused"


class UnbalancedTransaction(MarketplaceError):
    """A ledger transaction whose entries do not sum to zero: a bug, never written."""

    slug = "unbalanced-ledger"
