"""The producer group pages: applying, the group dashboard, members, payout destination
(``groups``) and the staff pages (``admin``)."""

from fastapi import APIRouter

from marketplace.producers.web.admin import router as admin
from marketplace.producers.web.groups import router as groups

router = APIRouter()
for _part in (groups, admin):
    router.include_router(_part)
