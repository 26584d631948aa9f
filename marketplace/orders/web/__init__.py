"""The order pages: the buyer's (``buyer``), the card payment page (``pay``), the groups'
parcels (``dashboard``) and the staff's orders and refunds (``admin``)."""

from fastapi import APIRouter

from marketplace.orders.web.admin import router as admin
from marketplace.orders.web.buyer import router as buyer
from marketplace.orders.web.dashboard import router as dashboard
from marketplace.orders.web.pay import router as pay

router = APIRouter()
for _part in (buyer, pay, dashboard, admin):
    router.include_router(_part)
