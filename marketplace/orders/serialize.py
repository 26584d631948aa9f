"""Orders and parcels as the API shows them."""

from marketplace import geo
from marketplace.config import get_settings
from marketplace.models import Fulfilment, Order, OrderLine
from marketplace.orders import service
from marketplace.orders.schemas import (
    FulfilmentPublic,
    OrderLinePublic,
    OrderPublic,
    ParcelLinePublic,
    ParcelPublic,
    ShipTo,
)


def order_public(order: Order, lines: list[OrderLine], parcels: list[Fulfilment]) -> OrderPublic:
    data = {name: getattr(order, name) for name in OrderPublic.model_fields
            if name not in ("lines", "fulfilments")}
    return OrderPublic(**data, lines=[OrderLinePublic.model_validate(x) for x in lines],
                       fulfilments=[FulfilmentPublic.model_validate(f) for f in parcels])


def order_public_of(session, order: Order) -> OrderPublic:
    lines, parcels = service.details_of(session=session, order_ids=[order.id])
    return order_public(order, lines[order.id], parcels[order.id])


def parcel_public(fulfilment: Fulfilment, order: Order, lines: list[OrderLine]) -> ParcelPublic:
    data = FulfilmentPublic.model_validate(fulfilment).model_dump()
    return ParcelPublic(
        **data, order_number=order.number, paid_at=order.paid_at,
        updated_at=fulfilment.updated_at,
        ship_to=ShipTo(full_name=order.full_name, phone=order.phone, country=order.country,
                       place=geo.describe(order.village_code or order.commune_code,
                                          order.province_code)
                       if order.country == "KH" else "",
                       village_code=order.village_code, address_line=order.address_line,
                       landmark=order.landmark,
                       city=order.city, postal_code=order.postal_code,
                       shipping_option=order.shipping_option),
        packing_point=get_settings().packing_point_address if order.consolidated else None,
        lines=[ParcelLinePublic.model_validate(x) for x in lines])
