"""Every domain's HTML router, behind CSRF protection."""

from fastapi import APIRouter, Depends

from marketplace.admin.web import router as admin_router
from marketplace.auth.account_web import router as account_router
from marketplace.auth.web import router as auth_router
from marketplace.catalog.dashboard_web import router as dashboard_products_router
from marketplace.catalog.web import router as storefront_router
from marketplace.core.csrf import verify_csrf
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
):
    router.include_router(_router)
