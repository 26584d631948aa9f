"""The Stripe webhook endpoint (under /api: no session cookie, so no CSRF; the signature is
the authentication)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from marketplace.core.deps import GatewayDep, SettingsDep
from marketplace.core.openapi import problems
from marketplace.db import SessionDep
from marketplace.integrations.stripe import webhooks

router = APIRouter(tags=["webhooks"])


class WebhookAnswer(BaseModel):
    received: bool = True
    outcome: str = Field(examples=["order paid", "duplicate", "ignored",
                                   "unknown payment intent"])


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: the signature covers these bytes."""
    return await request.body()


STRIPE_EVENT = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "A Stripe event, exactly as Stripe signed it"}}}}


@router.post("/webhooks/stripe", response_model=WebhookAnswer, responses=problems(400, 409),
             summary="Receive a Stripe event", openapi_extra={"requestBody": STRIPE_EVENT})
def stripe_webhook(body: Annotated[bytes, Depends(raw_body)],
                   session: SessionDep, settings: SettingsDep, gateway: GatewayDep,
                   stripe_signature: Annotated[str | None, Header()] = None) -> WebhookAnswer:
    """Stripe calls this with a signed event (`Stripe-Signature` header).

    A bad signature or body is 400 and changes nothing. Handled types:
    `payment_intent.succeeded` (the order becomes paid), `payment_intent.payment_failed`
    (noted on the order; its reservation stays so the buyer can try another card),
    `charge.refunded`, `charge.refund.updated`, `refund.updated` and `refund.failed`
    (the marketplace's own pending refunds are settled or failed; refunds made at Stripe
    are recorded once each, when they succeeded). Other types answer 200 `ignored`; an
    event seen before answers 200 `duplicate`; an event about a PaymentIntent this
    marketplace does not know answers 200 `unknown payment intent` (a retry could never
    succeed), recorded for support. 409 while one of the order's refunds is still pending
    here and 503 when Stripe must be asked and does not answer: nothing is stored, and
    Stripe sends the event again later.
    """
    outcome = webhooks.handle(session=session, settings=settings,
                              gateway=gateway, payload=body,
                              sig_header=stripe_signature)
    return WebhookAnswer(outcome=outcome)
