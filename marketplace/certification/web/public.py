"""Public Seal of Excellence pages: the registry, a certificate with hang-tag verification,
QR codes, the printable hang-tag, the public key, and complaints."""

import hashlib
import io
import math
from typing import Annotated
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from marketplace.auth.deps import OptionalUser
from marketplace.certification import views
from marketplace.certification.schemas import ComplaintIn
from marketplace.certification.service import certificates, signing
from marketplace.core.clientip import client_ip
from marketplace.core.deps import SettingsDep
from marketplace.core.forms import FormDep, form_values, parse_form
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep
from marketplace.errors import NotFound, ValidationFailed
from marketplace.i18n import gettext as _

router = APIRouter(tags=["pages"], include_in_schema=False)

PER_PAGE = 20
MAX_TOKEN = 2000
# A QR code is served only while its seal is valid, so caches must ask again each time
# (a revoked seal's code must not come back from a cache); the ETag makes that cheap.
QR_CACHE = "public, no-cache"
KEY_CACHE = "public, max-age=86400"


# -- registry ---------------------------------------------------------------------------------

@router.get("/seal")
def registry(request: Request, session: SessionDep, user: OptionalUser,
             q: Annotated[str, Query(max_length=100)] = "",
             craft: Annotated[str, Query(max_length=16)] = "",
             province: Annotated[str, Query(max_length=2)] = "",
             page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    rows, total = certificates.registry(session=session, q=q, craft=craft or None,
                                        province=province or None, limit=PER_PAGE,
                                        offset=(page - 1) * PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    filters = {k: v for k, v in (("q", q), ("craft", craft), ("province", province)) if v}

    def page_url(number: int) -> str:
        return "/seal?" + urlencode({**filters, "page": number})

    return render(request, "certification/registry.html", {
        "certificates": [views.certificate_view(session, c) for c in rows],
        "total": total,
        "page": page,
        "pages": pages,
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages else None,
        "form": {"q": q, "craft": craft, "province": province},
        "craft_options": views.craft_options(),
        "province_options": views.province_options(),
        "labels": views.LABELS,
    })


# -- fixed pages (declared before /seal/{number}) ---------------------------------------------

@router.get("/seal/public-key")
def public_key(settings: SettingsDep):
    return PlainTextResponse(signing.public_key_pem(settings),
                             headers={"Cache-Control": KEY_CACHE})


@router.get("/seal/about")
def about(request: Request, settings: SettingsDep, user: OptionalUser):
    return render(request, "certification/about.html", {
        "public_key_pem": signing.public_key_pem(settings),
        "public_key_raw": signing.public_key_raw_b64(settings),
    })


# -- one certificate --------------------------------------------------------------------------

def _verdict(session, settings, number: str, token: str | None) -> str | None:
    """genuine | mismatch | forged for a hang-tag token; None when the URL has none."""
    if token is None:
        return None
    if len(token) > MAX_TOKEN:
        return "forged"
    try:
        result = certificates.verify_token(session=session, settings=settings, token=token)
    except signing.TokenError:
        return "forged"
    except NotFound:  # signed by us, but for a number the registry does not hold
        return "mismatch"
    if result.matches_registry and result.certificate.number == number:
        return "genuine"
    return "mismatch"


def _certificate_page(request: Request, session, settings, number: str, *,
                      token: str | None = None, form: dict | None = None,
                      errors: dict | None = None, status_code: int = 200):
    certificate = certificates.get_by_number(session=session, number=number)
    return render(request, "certification/certificate.html", {
        "cert": views.certificate_view(session, certificate),
        "verdict": _verdict(session, settings, certificate.number, token),
        "labels": views.LABELS,
        "form": form or {},
        "errors": errors or {},
    }, status_code=status_code)


@router.get("/seal/{number}")
def certificate_page(number: str, request: Request, session: SessionDep, settings: SettingsDep,
                     user: OptionalUser, t: Annotated[str | None, Query()] = None):
    return _certificate_page(request, session, settings, number, token=t)


@router.post("/seal/{number}/complaint")
def complain(number: str, request: Request, form: FormDep, session: SessionDep,
             settings: SettingsDep, user: OptionalUser):
    certificate = certificates.get_by_number(session=session, number=number)
    values = form_values(form)
    try:
        data = parse_form(ComplaintIn, {"reason": values.get("reason", ""),
                                        "contact": values.get("contact", "").strip()})
        certificates.file_complaint(session=session, settings=settings, certificate=certificate,
                                    data=data, ip=client_ip(request))
    except ValidationFailed as exc:
        return _certificate_page(request, session, settings, certificate.number, form=values,
                                 errors=exc.errors, status_code=422)
    flash(request, _("Thank you. The certification officers will look into your complaint "
                     "and may contact you."), "success")
    return RedirectResponse(f"/seal/{certificate.number}#complaint", status_code=303)


# -- QR codes and the hang-tag ----------------------------------------------------------------

def _not_printable(request: Request, session, certificate, exc: certificates.SealNotValid):
    """Why a seal that is not valid has no hang-tag or QR code, with its status code."""
    return render(request, "certification/tag_unavailable.html", {
        "cert": views.certificate_view(session, certificate),
        "detail": exc.detail,
        "labels": views.LABELS,
    }, status_code=exc.status_code, headers={"Cache-Control": "no-store"})


def _qr(request: Request, session, settings, number: str, kind: str) -> Response:
    certificate = certificates.get_by_number(session=session, number=number)
    try:
        certificates.ensure_printable(certificate)
    except certificates.SealNotValid as exc:
        return _not_printable(request, session, certificate, exc)
    url = certificates.verification_url(settings, session, certificate)
    etag = f'"{hashlib.sha256(url.encode()).hexdigest()[:32]}-{kind}"'
    headers = {"Cache-Control": QR_CACHE, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    buf = io.BytesIO()
    qr = segno.make(url, error="m")
    if kind == "png":
        qr.save(buf, kind="png", scale=6)
        media_type = "image/png"
    else:
        qr.save(buf, kind="svg",
                title=_("Seal of Excellence %(number)s", number=certificate.number))
        media_type = "image/svg+xml"
    return Response(buf.getvalue(), media_type=media_type, headers=headers)


@router.get("/seal/{number}/qr.svg")
def qr_svg(number: str, request: Request, session: SessionDep, settings: SettingsDep):
    return _qr(request, session, settings, number, "svg")


@router.get("/seal/{number}/qr.png")
def qr_png(number: str, request: Request, session: SessionDep, settings: SettingsDep):
    return _qr(request, session, settings, number, "png")


@router.get("/seal/{number}/tag")
def hang_tag(number: str, request: Request, session: SessionDep, user: OptionalUser):
    certificate = certificates.get_by_number(session=session, number=number)
    try:
        certificates.ensure_printable(certificate)
    except certificates.SealNotValid as exc:
        return _not_printable(request, session, certificate, exc)
    return render(request, "certification/tag.html", {
        "cert": views.certificate_view(session, certificate),
        "labels": views.LABELS,
    })
