"""The Seal of Excellence pages: the public registry and certificates (``public``), the
groups' applications (``dashboard``) and the officers' review (``officer``)."""

from fastapi import APIRouter

from marketplace.certification.web.dashboard import router as dashboard
from marketplace.certification.web.officer import router as officer
from marketplace.certification.web.public import router as public

router = APIRouter()
for _part in (public, dashboard, officer):
    router.include_router(_part)
