"""``StripeGateway``: the PaymentGateway the services use, over the official ``stripe`` SDK.

Every call carries an idempotency key (ours, or one the SDK makes for its retries), so a
retried request never charges or refunds twice. A refused card becomes ``CardDeclined``
with a message safe to show the buyer; anything else Stripe (or the network) says becomes
``GatewayUnavailable``.
"""

import logging
from urllib.parse import urlsplit

from marketplace.config import Settings
from marketplace.db import ensure_off_event_loop
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.payments.gateway import (
    CardDeclined,
    GatewayUnavailable,
    Intent,
    ProcessorRefund,
    ProcessorRefused,
)

log = logging.getLogger("marketplace.stripe")
TIMEOUT_SECONDS = 20
NETWORK_RETRIES = 2

DECLINE_MESSAGES = {
    "expired_card": N_("Your card has expired. Try another card."),
    "incorrect_cvc": N_("The security code of your card is not right. Check it, or try "
                        "another card."),
    "incorrect_number": N_("The card number is not right. Check it, or try another card."),
    "insufficient_funds": N_("Your card was declined: not enough funds. Try another card."),
    "processing_error": N_("Your bank could not process the card. Try again, or try "
                           "another card."),
}
DEFAULT_DECLINE = N_("Your card was declined. Try another card.")


STRIPE_JS_SOURCES = {
    "script": ("https://js.stripe.com", "https://*.js.stripe.com"),
    "connect": ("https://api.stripe.com",),
    "frame": ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"),
}


def csp_sources(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Origins the card page must allow (script, connect, frame) for ``stripe_js_url``:
    Stripe's published list for the real Stripe.js, else the one origin it is served from
    (localstripe serves its fake Stripe.js and API on the same origin)."""
    parts = urlsplit(settings.stripe_js_url)
    if parts.hostname == "js.stripe.com":
        return STRIPE_JS_SOURCES
    origin = f"{parts.scheme}://{parts.netloc}"
    return {"script": (origin,), "connect": (origin,), "frame": (origin,)}


def decline_message(code: str | None) -> str:
    """What to tell the buyer for Stripe's decline ``code`` (never the processor's text)."""
    return _(DECLINE_MESSAGES.get(code or "", DEFAULT_DECLINE))


def _intent(obj: dict) -> Intent:
    return Intent(id=obj["id"], status=obj["status"], client_secret=obj.get("client_secret"),
                  amount_cents=int(obj["amount"]), currency=str(obj.get("currency") or "usd"))


class StripeGateway:
    """PaymentGateway over Stripe (or localstripe when ``settings.stripe_api_base`` is set)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client = None  # stripe.StripeClient, built on first use

    @property
    def client(self):
        """The SDK client, built on first use (no key: GatewayUnavailable)."""
        if self._client is None:
            import stripe  # imported on first use: the SDK costs ~25 MB per worker

            if not self.settings.stripe_secret_key:
                raise GatewayUnavailable("Stripe is not configured (no secret key)")
            bases = {"api": self.settings.stripe_api_base} if self.settings.stripe_api_base \
                else None
            self._client = stripe.StripeClient(
                self.settings.stripe_secret_key, base_addresses=bases,
                http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
                max_network_retries=NETWORK_RETRIES)
        return self._client

    def _call(self, what: str, func, *args, **kwargs):
        import stripe

        ensure_off_event_loop(f"Stripe {what}")
        try:
            return func(*args, **kwargs).to_dict()
        except stripe.CardError as exc:
            code = exc.code if exc.code != "card_declined" else (
                getattr(exc.error, "decline_code", None) if exc.error else None)
            log.info("stripe %s: card declined (%s)", what, exc.code)
            raise CardDeclined(decline_message(code)) from exc
        except stripe.InvalidRequestError as exc:  # answered: this request cannot succeed
            log.warning("stripe %s refused: %s", what, exc.user_message or exc)
            raise ProcessorRefused(f"{what}: {exc.user_message or exc}") from exc
        except stripe.StripeError as exc:  # unreachable, 5xx, rate limited: outcome unknown
            log.warning("stripe %s failed: %s %s", what, type(exc).__name__,
                        exc.user_message or exc)
            raise GatewayUnavailable(f"{what}: {type(exc).__name__}") from exc

    def create_intent(self, *, amount_cents: int, currency: str, order_number: str,
                      payment_method: str | None, idempotency_key: str,
                      attempt_id: int | None = None) -> Intent:
        """A card PaymentIntent for an order (not confirmed yet)."""
        metadata = {"order_number": order_number}
        if attempt_id is not None:
            metadata["attempt_id"] = str(attempt_id)
        params: dict = {"amount": amount_cents, "currency": currency.lower(),
                        "payment_method_types": ["card"], "metadata": metadata}
        if payment_method:
            params["payment_method"] = payment_method
        obj = self._call("create intent", self.client.v1.payment_intents.create, params,
                         {"idempotency_key": idempotency_key})
        return _intent(obj)

    def confirm_intent(self, intent_id: str) -> Intent:
        """Charge the intent's payment method; a refused card raises CardDeclined."""
        return _intent(self._call("confirm intent", self.client.v1.payment_intents.confirm,
                                  intent_id))

    def retrieve_intent(self, intent_id: str) -> Intent:
        return _intent(self._call("retrieve intent", self.client.v1.payment_intents.retrieve,
                                  intent_id))

    def refund(self, *, intent_id: str, amount_cents: int, idempotency_key: str,
               metadata: dict[str, str]) -> ProcessorRefund:
        """Refund part of a PaymentIntent (``metadata`` names our refund, so it can be
        found again if our record of the answer is lost)."""
        return _refund(self._call("refund", self.client.v1.refunds.create,
                                  {"payment_intent": intent_id, "amount": amount_cents,
                                   "metadata": metadata},
                                  {"idempotency_key": idempotency_key}))

    def refunds_of(self, intent_id: str) -> list[ProcessorRefund]:
        """Every refund on an intent, newest first."""
        page = self._call("list refunds", self.client.v1.refunds.list,
                          {"payment_intent": intent_id, "limit": 100})
        return [_refund(r) for r in page["data"]]


def _refund(obj: dict) -> ProcessorRefund:
    return ProcessorRefund(id=obj["id"], amount_cents=int(obj["amount"]),
                           status=obj.get("status") or "", metadata=dict(obj.get("metadata") or {}))
