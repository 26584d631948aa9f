"""What the order and refund services need from a card processor.

The only implementation talks to Stripe (marketplace/integrations/stripe/); the services
never import ``stripe`` themselves.
"""

from dataclasses import dataclass, field
from typing import Protocol

from marketplace.errors import CardDeclined, GatewayUnavailable, ProcessorRefused

__all__ = ["CardDeclined", "GatewayUnavailable", "Intent", "PaymentGateway", "ProcessorRefund",
           "ProcessorRefused"]


@dataclass(frozen=True)
class Intent:
    id: str
    status: str  # requires_payment_method | requires_confirmation | processing | succeeded ...
    client_secret: str | None
    amount_cents: int
    currency: str = "usd"


@dataclass(frozen=True)
class ProcessorRefund:
    """A refund as the processor knows it."""

    id: str
    amount_cents: int
    status: str  # succeeded | pending | failed | canceled ...
    metadata: dict = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.status in ("failed", "canceled")


class PaymentGateway(Protocol):
    def create_intent(self, *, amount_cents: int, currency: str, order_number: str,
                      payment_method: str | None, idempotency_key: str,
                      attempt_id: int | None = None) -> Intent: ...

    def confirm_intent(self, intent_id: str) -> Intent: ...

    def retrieve_intent(self, intent_id: str) -> Intent: ...

    def refund(self, *, intent_id: str, amount_cents: int, idempotency_key: str,
               metadata: dict[str, str]) -> ProcessorRefund: ...

    def refunds_of(self, intent_id: str) -> list[ProcessorRefund]: ...
