"""The storefront pages: home and about (``home``), the catalog, products and groups
(``storefront``), and the producer dashboard's product pages (``dashboard``)."""

from fastapi import APIRouter

from marketplace.catalog.web.dashboard import router as dashboard
from marketplace.catalog.web.home import router as home
from marketplace.catalog.web.storefront import router as storefront

router = APIRouter()
for _part in (home, storefront, dashboard):
    router.include_router(_part)
