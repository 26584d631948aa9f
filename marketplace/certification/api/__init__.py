"""The Seal of Excellence API: applications and review (``applications``), then the public
registry, hang-tag verification and complaints (``public``: after, so /certifications/queue
is matched first)."""

from fastapi import APIRouter

from marketplace.certification.api.applications import router as applications
from marketplace.certification.api.public import router as public

router = APIRouter()
for _part in (applications, public):
    router.include_router(_part)
