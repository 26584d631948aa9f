"""Public JSON API of the Seal of Excellence: the certificate registry, hang-tag
verification and complaints. No sign-in needed.

Included after :mod:`marketplace.certification.api.applications`, so that ``GET /certifications/queue``
there is matched before ``GET /certifications/{number}`` here.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, status
from pydantic import BaseModel, ConfigDict

from marketplace.certification.schemas import CertificatePublic, ComplaintIn, VerifiedClaims
from marketplace.certification.serialize import NumberedCertificate, certificate_public
from marketplace.certification.service import certificates, signing
from marketplace.core.clientip import client_ip
from marketplace.core.deps import SettingsDep
from marketplace.core.openapi import problems
from marketplace.db import SessionDep
from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _

router = APIRouter(tags=["seal of excellence"])


# --- problems of the hang-tag check -------------------------------------------------------

class TokenMalformed(ValidationFailed):
    """The token is not a verification code at all (cut short, mistyped, not base64)."""

    slug = "token-malformed"

    def __init__(self) -> None:
        message = _("This verification code is incomplete or garbled. Scan the QR code on the "
                    "hang-tag again, or copy the whole link.")
        super().__init__({"token": message}, message)


class TokenBadSignature(ValidationFailed):
    """The token is well formed but the certification office did not sign it."""

    slug = "token-bad-signature"

    def __init__(self) -> None:
        message = _("This verification code was not signed by the certification office: it "
                    "has been altered or forged. Do not trust this seal.")
        super().__init__({"token": message}, message)


TOKEN_ERRORS = {"malformed": TokenMalformed, "bad-signature": TokenBadSignature}


# --- small response shapes -----------------------------------------------------------------

class ComplaintReceipt(BaseModel):
    """What the person who complained is told; the complaint itself goes to the officers."""

    certificate_number: str
    status: str
    received_at: datetime

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "certificate_number": "SoE-2026-000123", "status": "open",
        "received_at": "2026-11-23T03:00:00Z"}]})


ComplaintBody = Annotated[ComplaintIn, Body(openapi_examples={
    "machine": {"summary": "A complaint about a certified piece",
                "value": {"reason": "The scarf I bought with this seal is machine-woven.",
                          "contact": "visitor@example.com"}},
})]


# --- endpoints ----------------------------------------------------------------------------

@router.get(
    "/certifications/{number}",
    summary="Look up a certificate in the public registry",
    description=(
        "Anyone may check a certificate by its number: status (valid, suspended, revoked or "
        "expired, with the public reason), products, group, province, criteria version, "
        "dates and the signed verification link the hang-tag QR code encodes."
    ),
    responses=problems(404, 422),
)
def get_certificate(certificate: NumberedCertificate, session: SessionDep,
                    settings: SettingsDep) -> CertificatePublic:
    return certificate_public(session, settings, certificate)


@router.get(
    "/seal/verify",
    summary="Verify a hang-tag token",
    description=(
        "Checks the Ed25519 signature of the token after `t=` in a verification link. A "
        "genuine token answers with its claims, the certificate's current status and whether "
        "the claims still match the registry. A garbled token is a problem whose `type` ends "
        "in `/token-malformed`, a forged or altered one in `/token-bad-signature` (422); a "
        "genuine token naming an unknown certificate is a 404."
    ),
    responses=problems(404, 422),
)
def verify(token: Annotated[str, Query(min_length=1, max_length=2000,
                                       description="The `t` parameter of the link")],
           session: SessionDep, settings: SettingsDep) -> VerifiedClaims:
    try:
        result = certificates.verify_token(session=session, settings=settings, token=token)
    except signing.TokenError as exc:
        raise TOKEN_ERRORS.get(exc.code, TokenMalformed)() from exc
    return VerifiedClaims(
        genuine=True, number=result.claims.number, product_ids=list(result.claims.product_ids),
        expires_on=result.claims.expires_on, status=certificates.status_of(result.certificate),
        matches_registry=result.matches_registry,
    )


@router.post(
    "/certifications/{number}/complaints",
    status_code=status.HTTP_201_CREATED,
    summary="Complain about a certificate",
    description=(
        "Anyone may tell the officers a certified piece does not deserve its seal; give a "
        "contact address for their questions. One address may send only a few complaints "
        "an hour (then 429 with Retry-After)."
    ),
    responses=problems(404, 422, 429),
)
def complain(certificate: NumberedCertificate, data: ComplaintBody, request: Request,
             session: SessionDep, settings: SettingsDep) -> ComplaintReceipt:
    complaint = certificates.file_complaint(
        session=session, settings=settings, certificate=certificate, data=data,
        ip=client_ip(request))
    return ComplaintReceipt(certificate_number=certificate.number, status=complaint.status,
                            received_at=complaint.created_at)
