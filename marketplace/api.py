"""Every domain's JSON router under /api/v1 (bearer tokens; no cookies, so no CSRF)."""

from fastapi import APIRouter

from marketplace.auth.api import router as auth_router
from marketplace.business.api import router as business_router
from marketplace.cart.api import router as carts_router
from marketplace.catalog.api import router as products_router
from marketplace.certification.api import router as certification_router
from marketplace.checkout.api import router as checkout_router
from marketplace.checkout.geo_api import router as geo_router
from marketplace.integrations.stripe.api import router as stripe_router
from marketplace.invoices.api import router as invoices_router
from marketplace.orders.api import router as orders_router
from marketplace.payouts.api import router as payouts_router
from marketplace.producers.api import router as groups_router
from marketplace.wholesale.api import router as wholesale_router
from marketplace.wholesale.orders_api import router as purchase_orders_router
from marketplace.wholesale.quotes_api import router as quotes_router

router = APIRouter(prefix="/api/v1")
router.include_router(auth_router)
router.include_router(groups_router)
router.include_router(business_router)
router.include_router(wholesale_router)
router.include_router(purchase_orders_router)
router.include_router(invoices_router)
router.include_router(quotes_router)
router.include_router(payouts_router)
router.include_router(products_router)
router.include_router(certification_router)
router.include_router(carts_router)
router.include_router(checkout_router)
router.include_router(geo_router)
router.include_router(orders_router)
router.include_router(stripe_router)
