"""Every domain's JSON router under /api/v1 (bearer tokens; no cookies, so no CSRF)."""

from fastapi import APIRouter

from marketplace.auth.api import router as auth_router

router = APIRouter(prefix="/api/v1")
router.include_router(auth_router)
