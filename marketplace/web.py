"""Every domain's HTML router, behind CSRF protection."""

from fastapi import APIRouter, Depends

from marketplace.auth.web import router as auth_router
from marketplace.business.web import router as business_router
from marketplace.cart.web import router as cart_router
from marketplace.catalog.web import router as catalog_router
from marketplace.certification.web import router as certification_router
from marketplace.checkout.web import router as checkout_router
from marketplace.core.csrf import verify_csrf
from marketplace.invoices.web import router as invoices_router
from marketplace.orders.web import router as orders_router
from marketplace.payouts.web import router as payouts_router
from marketplace.producers.web import router as producers_router
from marketplace.wholesale.orders_web import router as purchase_orders_router
from marketplace.wholesale.pay_web import router as wholesale_pay_router
from marketplace.wholesale.quotes_web import router as quotes_router
from marketplace.wholesale.web import router as wholesale_router

router = APIRouter(dependencies=[Depends(verify_csrf)])
for _router in (
    auth_router,
    producers_router,  # before the storefront: /groups/apply is not a group's slug
    business_router,
    wholesale_router,
    purchase_orders_router,
    wholesale_pay_router,
    invoices_router,
    payouts_router,
    quotes_router,
    catalog_router,
    certification_router,
    cart_router,
    checkout_router,
    orders_router,
):
    router.include_router(_router)
