"""What the group-and-officer API and the public API share: the registry entry of a
certificate and the dependency that finds a certificate by its number."""

from typing import Annotated

from fastapi import Depends, Path
from sqlmodel import Session, col, select

from marketplace import geo
from marketplace.certification.schemas import CertificatePublic
from marketplace.certification.service import certificates
from marketplace.config import Settings
from marketplace.db import SessionDep
from marketplace.models import Certificate, CriteriaSet, ProducerGroup, Product


def certificate_public(session: Session, settings: Settings,
                       certificate: Certificate) -> CertificatePublic:
    """The registry entry anyone may read."""
    group = session.get(ProducerGroup, certificate.group_id)
    product_ids = certificates.product_ids(session, certificate.id)
    products = session.exec(select(Product).where(col(Product.id).in_(product_ids))
                            .order_by(Product.id)).all() if product_ids else []
    place = geo.province(group.province_code) if group.province_code else None
    return CertificatePublic(
        number=certificate.number,
        status=certificates.status_of(certificate),
        products=[{"id": p.id, "title": p.title, "title_km": p.title_km} for p in products],
        group={"id": group.id, "name": group.name, "name_km": group.name_km,
               "slug": group.slug},
        province=place.name if place else "",
        criteria_version=session.get(CriteriaSet, certificate.criteria_set_id).version,
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        public_reason=certificate.public_reason,
        public_reason_km=certificate.public_reason_km,
        verification_url=certificates.verification_url(settings, session, certificate),
    )


def numbered_certificate(number: Annotated[str, Path(max_length=40,
                                                     examples=["SoE-2026-000123"])],
                         session: SessionDep) -> Certificate:
    return certificates.get_by_number(session=session, number=number)


NumberedCertificate = Annotated[Certificate, Depends(numbered_certificate)]
