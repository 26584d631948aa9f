"""JSON API for purchase orders: the wholesale cart, CSV lines, submitting with an
Idempotency-Key, and the groups' and the business's answers."""

from typing import Annotated

from fastapi import APIRouter, Body, Header, Request, Response, status
from pydantic import BaseModel

from marketplace.auth.deps import CurrentUser
from marketplace.core.deps import GatewayDep, SettingsDep
from marketplace.core.openapi import problems
from marketplace.core.pagination import Cursor, Limit, Page, next_offset, offset_of
from marketplace.db import SessionDep, slot_released
from marketplace.errors import NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import PaymentMethod, PurchaseOrderPart
from marketplace.wholesale import card, charges, purchasing, responses
from marketplace.wholesale.schemas import (
    AcceptIn,
    ChargeIn,
    DeclineIn,
    LineIn,
    ProposalIn,
    PurchaseOrderPublic,
    ShipIn,
    SubmitIn,
)
from marketplace.wholesale.serialize import purchase_order_public

router = APIRouter(tags=["purchase orders"])


class ReorderPublic(BaseModel):
    cart: PurchaseOrderPublic
    skipped: list[str]

IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=100,
    description="A key you choose per purchase order (a UUID). The same key again answers "
                "200 with the first purchase order and submits nothing")]

PaymentKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=100,
    description="A key you choose per payment (a UUID): the same key again charges nothing")]


@router.get(
    "/purchase-orders/draft",
    summary="The wholesale cart",
    description="The business's draft purchase order (made when missing). Members of a "
                "verified business only (403 otherwise).",
    responses=problems(401, 403),
)
def cart(session: SessionDep, user: CurrentUser) -> PurchaseOrderPublic:
    business = purchasing.buying_business(session, user)
    return purchase_order_public(session, purchasing.draft(session, business))


@router.put(
    "/purchase-orders/draft/lines/{product_id}",
    summary="Set a piece's quantity in the wholesale cart",
    description=("At least the piece's minimum quantity, in whole cases; 0 takes it out. "
                 "422 names the rule broken; 404 for a piece not offered wholesale."),
    responses=problems(401, 403, 404, 422),
)
def set_line(product_id: int, data: LineIn, session: SessionDep,
             user: CurrentUser) -> PurchaseOrderPublic:
    order = purchasing.set_line(session=session, actor=user, product_id=product_id,
                                quantity=data.quantity)
    session.flush()
    return purchase_order_public(session, order)


@router.post(
    "/purchase-orders/draft/csv",
    summary="Add lines from a CSV of sku,quantity",
    description=("The body is the CSV text (`text/csv`), one `sku,quantity` per line, a "
                 "header allowed; the SKU is the piece's slug. Every line is checked first: "
                 "one bad line and nothing is added (422 with an error per line, `line N`)."),
    responses=problems(401, 403, 413, 422),
)
def add_csv(body: Annotated[bytes, Body(media_type="text/csv", examples=[
        "sku,quantity\nkuy-silk-scarf,10\nbunong-rice-basket,12\n"])],
            session: SessionDep, user: CurrentUser) -> PurchaseOrderPublic:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed({"file": _("Save the file as CSV in UTF-8.")}) from exc
    order = purchasing.add_csv(session=session, actor=user, text=text)
    session.flush()
    return purchase_order_public(session, order)


@router.post(
    "/purchase-orders/draft/submit",
    summary="Submit the wholesale cart as a purchase order",
    description=(
        "Prices every line from the tiers now, checks each group's minimum order value "
        "(first order or reorder), and for `payment_method: invoice` the credit limit (409 "
        "`conflict` with `credit_available_cents` when over it); holds the stock or "
        "made-to-order capacity (409 `insufficient-stock` naming the piece when gone). Each "
        "group then has `wholesale_response_days` to accept, propose changes or decline. "
        "Nothing is submitted or held after any problem."),
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "This Idempotency-Key was used already: the first "
                                    "purchase order", "model": PurchaseOrderPublic},
               **problems(401, 403, 409, 422)},
)
def submit(data: SubmitIn, idempotency_key: IdempotencyKey, response: Response,
           session: SessionDep, settings: SettingsDep, user: CurrentUser) -> PurchaseOrderPublic:
    order, created = purchasing.submit(session=session, settings=settings, actor=user,
                                       reference=data.reference,
                                       payment_method=PaymentMethod(data.payment_method),
                                       idempotency_key=idempotency_key)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/purchase-orders/{order.id}"
    return purchase_order_public(session, order)


@router.get(
    "/purchase-orders",
    summary="The business's purchase orders",
    responses=problems(401, 422),
)
def list_orders(session: SessionDep, user: CurrentUser, limit: Limit = 24,
                cursor: Cursor = None) -> Page[PurchaseOrderPublic]:
    offset = offset_of(cursor) if cursor else 0
    rows, total = purchasing.list_orders(session=session, actor=user, limit=limit,
                                         offset=offset)
    return Page[PurchaseOrderPublic](data=[purchase_order_public(session, o) for o in rows],
                                     count=total, next=next_offset(offset, len(rows), total))


@router.get(
    "/purchase-orders/{order_id}",
    summary="One purchase order",
    description="For the business's members and administrators.",
    responses=problems(401, 404, 422),
)
def get_order(order_id: int, session: SessionDep, user: CurrentUser) -> PurchaseOrderPublic:
    return purchase_order_public(session, purchasing.viewable(session=session, actor=user,
                                                              order_id=order_id))


def _part_order(session, part: PurchaseOrderPart) -> PurchaseOrderPublic:
    from marketplace.models import PurchaseOrder

    order = session.get(PurchaseOrder, part.purchase_order_id)
    return purchase_order_public(session, order, group_id=part.group_id)


@router.post(
    "/purchase-orders/{order_id}/reorder",
    summary="Order again",
    description=("Puts the pieces of a past purchase order in the wholesale cart at today's "
                 "prices and minimums (quantities raised to the current minimum and whole "
                 "cases). Pieces no longer offered are left out; `skipped` says which."),
    responses=problems(401, 403, 404, 422),
)
def reorder(order_id: int, session: SessionDep, user: CurrentUser) -> ReorderPublic:
    cart, skipped = purchasing.reorder(session=session, actor=user, order_id=order_id)
    session.flush()
    return ReorderPublic(cart=purchase_order_public(session, cart), skipped=skipped)


@router.get(
    "/purchase-order-parts/{part_id}",
    summary="A group's part of a purchase order (group members)",
    description="Only this group's part and lines.",
    responses=problems(401, 404, 422),
)
def get_part(part_id: int, session: SessionDep, user: CurrentUser) -> PurchaseOrderPublic:
    part = responses.part_for_group(session=session, actor=user, part_id=part_id)
    return _part_order(session, part)


@router.post(
    "/purchase-order-parts/{part_id}/accept",
    summary="Accept a part as ordered (group members)",
    description="409 when another member answered first.",
    responses=problems(401, 404, 409, 422),
)
def accept(part_id: int, session: SessionDep, settings: SettingsDep, user: CurrentUser,
           data: Annotated[AcceptIn | None, Body()] = None) -> PurchaseOrderPublic:
    part = responses.part_for_group(session=session, actor=user, part_id=part_id)
    responses.accept(session=session, settings=settings, actor=user, part=part,
                     ship_by=data.ship_by if data else None)
    return _part_order(session, part)


@router.post(
    "/purchase-order-parts/{part_id}/decline",
    summary="Decline a part, with a reason (group members)",
    description="The stock it held goes back to sale.",
    responses=problems(401, 404, 409, 422),
)
def decline(part_id: int, data: DeclineIn, session: SessionDep, settings: SettingsDep,
            user: CurrentUser) -> PurchaseOrderPublic:
    part = responses.part_for_group(session=session, actor=user, part_id=part_id)
    responses.decline(session=session, settings=settings, actor=user, part=part,
                      note=data.note)
    return _part_order(session, part)


@router.post(
    "/purchase-order-parts/{part_id}/propose",
    summary="Propose changes to a part (group members)",
    description=("Quantities within the piece's terms, unit prices within the group's own "
                 "tiers for it, a ship date; the business accepts or rejects them."),
    responses=problems(401, 404, 409, 422),
)
def propose(part_id: int, data: ProposalIn, session: SessionDep, settings: SettingsDep,
            user: CurrentUser) -> PurchaseOrderPublic:
    part = responses.part_for_group(session=session, actor=user, part_id=part_id)
    responses.propose(session=session, settings=settings, actor=user, part=part,
                      changes={c.line_id: (c.quantity, c.unit_price_cents)
                               for c in data.changes},
                      ship_by=data.ship_by, note=data.note)
    return _part_order(session, part)


@router.post(
    "/purchase-order-parts/{part_id}/ship",
    summary="Mark an accepted part as shipped (group members)",
    description=("Once the purchase order is confirmed: the stock the part held is sold. "
                 "409 before confirmation or when already shipped."),
    responses=problems(401, 404, 409, 422),
)
def ship(part_id: int, session: SessionDep, settings: SettingsDep, user: CurrentUser,
         data: Annotated[ShipIn | None, Body()] = None) -> PurchaseOrderPublic:
    part = responses.part_for_group(session=session, actor=user, part_id=part_id)
    responses.ship(session=session, settings=settings, actor=user, part=part,
                   tracking=data.tracking if data else "")
    return _part_order(session, part)


def _business_part(session, user, order_id: int, part_id: int) -> PurchaseOrderPart:
    order = purchasing.viewable(session=session, actor=user, order_id=order_id)
    part = session.get(PurchaseOrderPart, part_id)
    if part is None or part.purchase_order_id != order.id:
        raise NotFound(_("No such purchase order."))
    return part


@router.post(
    "/purchase-orders/{order_id}/parts/{part_id}/accept-changes",
    summary="Accept a group's proposed changes (the business)",
    description=("Holds more stock for larger quantities (409 when gone) and, on invoice "
                 "terms, checks the credit limit again."),
    responses=problems(401, 403, 404, 409),
)
def accept_changes(order_id: int, part_id: int, session: SessionDep, settings: SettingsDep,
                   user: CurrentUser) -> PurchaseOrderPublic:
    part = _business_part(session, user, order_id, part_id)
    responses.answer_proposal(session=session, settings=settings, actor=user, part=part,
                              accepted=True)
    return purchase_order_public(session, purchasing.viewable(
        session=session, actor=user, order_id=order_id))


@router.post(
    "/purchase-orders/{order_id}/parts/{part_id}/reject-changes",
    summary="Reject a group's proposed changes (the business)",
    description="The part ends and the stock it held goes back to sale.",
    responses=problems(401, 403, 404, 409),
)
def reject_changes(order_id: int, part_id: int, session: SessionDep, settings: SettingsDep,
                   user: CurrentUser) -> PurchaseOrderPublic:
    part = _business_part(session, user, order_id, part_id)
    responses.answer_proposal(session=session, settings=settings, actor=user, part=part,
                              accepted=False)
    return purchase_order_public(session, purchasing.viewable(
        session=session, actor=user, order_id=order_id))


@router.post(
    "/purchase-orders/{order_id}/payments",
    summary="Pay a deposit or the invoice's balance by card (the business)",
    description=(
        "Charges one of the order's `dues` (a made-to-order part's deposit, `deposit-<part "
        "id>`, or what is left on the invoice, `balance`) with a Stripe PaymentMethod. The "
        "charge is recorded before Stripe is called; the same Idempotency-Key again answers "
        "with the first charge and charges nothing. 201 with the order (its `charges` show "
        "`succeeded`, or `created` while Stripe still works on it); 402 `card-declined`; "
        "409 `nothing-due` or `payment-in-progress`; 503 when Stripe cannot be reached "
        "(retry with the same key)."),
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 402, 403, 404, 409, 422, 503),
)
def pay(order_id: int, data: ChargeIn, idempotency_key: PaymentKey, request: Request,
        session: SessionDep, settings: SettingsDep, gateway: GatewayDep,
        user: CurrentUser) -> PurchaseOrderPublic:
    order = charges.payable_order(session, user, order_id)
    card.pay(session=session, settings=settings, gateway=gateway, actor=user, order=order,
             due_key=data.due, payment_method=data.payment_method,
             idempotency_key=idempotency_key, waiting=lambda: slot_released(request))
    return purchase_order_public(session, order)
