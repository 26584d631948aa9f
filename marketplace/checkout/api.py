"""JSON API of the checkout: the price of a cart for a destination, and placing the order.

Payment is not taken here: an order waits in `pending_payment`, holding its stock for
`reservation_minutes`, until the verified Stripe webhook marks it paid.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response, status

from marketplace.auth.deps import OptionalUser
from marketplace.cart import service as carts
from marketplace.cart.deps import TokenCart
from marketplace.checkout import service
from marketplace.checkout.schemas import (
    CountryCode,
    GroupShippingPublic,
    OrderCreate,
    PlacedOrder,
    ProvinceCode,
    QuoteLinePublic,
    QuotePublic,
    ShippingOptionCode,
)
from marketplace.checkout.service.address import Address
from marketplace.core.clientip import client_ip
from marketplace.core.deps import SettingsDep
from marketplace.core.openapi import problems
from marketplace.db import SessionDep
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _
from marketplace.i18n import shown_title
from marketplace.orders.serialize import order_public_of
from marketplace.orders.service import access

router = APIRouter()

IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=80,
    description="A key you choose per order (a UUID). Sending the same key again with the "
                "same body answers with the first order instead of placing another; the "
                "same key with another body is a 422 `idempotency-key-reused` problem")]
OrderBody = Annotated[OrderCreate, Body(openapi_examples={
    "cambodia": {"summary": "Courier to Phnom Penh",
                 "value": OrderCreate.model_config["json_schema_extra"]["examples"][0]},
    "abroad": {"summary": "EMS to France", "value": {
        "cart_token": "Jr3b1m1pZ0tBq8w7uO2kWc4yXn5aLd9e", "email": "claire@example.com",
        "full_name": "Claire Martin", "phone": "+33 6 12 34 56 78", "country": "FR",
        "shipping_option": "ems", "address_line": "12 rue des Tisserands",
        "city": "Lyon", "postal_code": "69001"}},
})]

@router.get(
    "/carts/{token}/quote",
    tags=["carts"],
    summary="Shipping and the split for a destination",
    description=(
        "Current prices, one parcel per producer group with its shipping, and for every line "
        "what the group receives, the marketplace commission and the card fee. Domestic "
        "options (`courier`, `bus`) are for KH, priced per group's parcel by `province_code`. "
        "`ems` and `express` are for other countries: the groups send their parcels to the "
        "packing point in Phnom Penh and the buyer pays one shipment by the order's total "
        "weight and the country's zone (`consolidated`).\n\n"
        "The card fee is on everything charged. When it would exceed the commission, the "
        "order carries a `small_order_fee_cents` equal to the difference, so the groups' share "
        "is whole and `producers_cents + packing_point_cents + commission_cents + "
        "small_order_fee_cents = total_cents`. Pass the `total_cents` to the order as "
        "`expected_total_cents`."
    ),
    responses=problems(403, 404, 422),
)
def quote(
    cart: TokenCart,
    session: SessionDep,
    settings: SettingsDep,
    shipping_option: Annotated[ShippingOptionCode, Query(examples=["courier"])],
    country: Annotated[CountryCode, Query(description="ISO 3166 code", examples=["KH"])] = "KH",
    province_code: Annotated[ProvinceCode | None, Query(description="KH: the province",
                                                        examples=["12"])] = None,
) -> QuotePublic:
    result = service.quote(session=session, settings=settings, cart=cart, address=Address(
        full_name="", email="", phone="", country=country, shipping_option=shipping_option,
        province_code=province_code or None))
    names = {line.group.id: line.group.name for line in result.lines}
    return QuotePublic(
        lines=[QuoteLinePublic(
            product_id=line.product.id, variant_id=line.variant.id if line.variant else None,
            title=shown_title(line.product), title_km=line.product.title_km,
            group_id=line.group.id, quantity=line.quantity,
            unit_price_cents=line.unit_price_cents, price_changed=line.price_changed,
            line_total_cents=line.split.line_total_cents,
            producer_cents=line.split.producer_cents,
            commission_cents=line.split.commission_cents,
            card_fee_cents=line.split.card_fee_cents) for line in result.lines],
        shipping=[GroupShippingPublic(group_id=gid, group_name=names[gid],
                                      weight_grams=result.weight_by_group[gid],
                                      shipping_cents=cents)
                  for gid, cents in result.shipping_by_group.items()],
        consolidated=result.consolidated, weight_grams=result.weight_grams,
        subtotal_cents=result.subtotal_cents, shipping_cents=result.shipping_cents,
        small_order_fee_cents=result.small_order_fee_cents,
        total_cents=result.total_cents, commission_cents=result.commission_cents,
        card_fee_cents=result.card_fee_cents, producers_cents=result.producers_cents,
        packing_point_cents=result.packing_point_cents, price_changed=result.price_changed,
    )


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    tags=["orders"],
    summary="Place an order from a cart",
    description=(
        "Re-reads prices, splits every line, opens one parcel per producer group and holds "
        "the stock (or made-to-order capacity) for `reservation_minutes` while the buyer "
        "pays.\n\n"
        "**Idempotency.** Send a fresh `Idempotency-Key` per order, as with Stripe. A key "
        "belongs to your account (bearer token) or, without one, to the cart. Sending the "
        "same key with the same body again (a retry after a timeout, even several at "
        "once) answers 200 with the first order, with the header `Idempotent-Replayed: "
        "true`, and places nothing. The same key with a different body (another cart, "
        "address, shipping option or `expected_total_cents`) is refused with 422 "
        "`idempotency-key-reused`, whose `detail` names the key; the first order is never "
        "returned for it. The body is compared by a SHA-256 fingerprint of its canonical "
        "form, stored with the order.\n\n"
        "**Unpaid orders.** One cart, and one account, may hold at most "
        "`max_unpaid_orders` unpaid orders whose reservation is still running (one client "
        "address at most `max_unpaid_orders_per_address`). Past that the answer is 429 "
        "`too-many-unpaid-orders` with `Retry-After` (seconds until one of them stops "
        "holding) and `unpaid_orders`, the numbers of your unpaid orders: pay one, or "
        "cancel it with `POST /api/v1/orders/{number}/cancel`, then place again.\n\n"
        "Other problems: 409 `price-changed` (with the current `total_cents`) when "
        "`expected_total_cents` no longer matches, 409 `insufficient-stock` (with the "
        "`product_id`) when a piece sold out; nothing is ordered or held after any problem."
    ),
    responses={200: {"description": "This Idempotency-Key was already used with this body: "
                                    "the first order", "model": PlacedOrder},
               **problems(403, 404, 409, 422, 429)},
)
def place_order(data: OrderBody, idempotency_key: IdempotencyKey, request: Request,
                response: Response, session: SessionDep, settings: SettingsDep,
                user: OptionalUser) -> PlacedOrder:
    cart = carts.by_token(session=session, token=data.cart_token, user=user)
    if cart is None:
        raise NotFound(_("No such cart."))
    order, created = service.place_order(
        session=session, settings=settings, cart=cart, user=user, address=data.to_address(),
        idempotency_key=idempotency_key, expected_total_cents=data.expected_total_cents,
        client_ip=client_ip(request))
    if not created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/orders/{order.number}"
    placed = order_public_of(session, order)
    token = access.token_for(settings, order) if order.user_id is None else None
    return PlacedOrder(**placed.model_dump(), access_token=token)
