"""Every domain's HTML router, behind CSRF protection."""

from fastapi import APIRouter, Depends

from marketplace.admin.web import router as admin_router
from marketplace.auth.account_web import router as account_router
from marketplace.auth.web import router as auth_router
from marketplace.cart.web import router as cart_router
from marketplace.catalog.dashboard_web import router as dashboard_products_router
from marketplace.catalog.web import router as storefront_router
from marketplace.certification.dashboard_web import router as seal_dashboard_router
from marketplace.certification.officer_web import router as seal_officer_router
from marketplace.certification.web import router as seal_router
from marketplace.checkout.web import router as checkout_router
from marketplace.core.csrf import verify_csrf
from marketplace.orders.web.admin import router as admin_orders_router
from marketplace.orders.web.buyer import router as orders_router
from marketplace.orders.web.dashboard import router as fulfilments_router
from marketplace.orders.web.pay import router as pay_router
from marketplace.pages.web import router as pages_router
from marketplace.producers.admin_web import router as admin_groups_router
from marketplace.producers.web import router as producers_router

router = APIRouter(dependencies=[Depends(verify_csrf)])
for _router in (
    pages_router,
    auth_router,
    account_router,
    admin_router,
    producers_router,  # before the storefront: /groups/apply is not a group's slug
    storefront_router,
    dashboard_products_router,
    admin_groups_router,
    seal_router,
    seal_dashboard_router,
    seal_officer_router,
    cart_router,
    checkout_router,
    orders_router,
    fulfilments_router,
    admin_orders_router,
    pay_router,
):
    router.include_router(_router)
