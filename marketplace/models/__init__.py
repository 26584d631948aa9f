"""Every table=True model, imported here so Alembic and the app see one metadata."""

from marketplace.models.audit import AuditEvent
from marketplace.models.base import utcnow
from marketplace.models.catalog import (
    CacheVersion,
    Craft,
    Product,
    ProductImage,
    ProductStatus,
    ProductVariant,
    StockMode,
)
from marketplace.models.certification import (
    OPEN_STATUSES,
    ApplicationPhoto,
    ApplicationProduct,
    ApplicationStatus,
    Assessment,
    Certificate,
    CertificateProduct,
    CertificateStatus,
    CertificationApplication,
    Complaint,
    CriteriaSet,
    OpenApplicationLock,
)
from marketplace.models.outbox import OutboxMessage
from marketplace.models.producer import (
    Community,
    GroupInvitation,
    GroupMembership,
    GroupRole,
    GroupStatus,
    PayoutMethod,
    ProducerGroup,
)
from marketplace.models.user import ApiToken, LoginAttempt, Role, User, UserRole

__all__ = [
    "OPEN_STATUSES",
    "ApplicationPhoto",
    "ApplicationProduct",
    "ApplicationStatus",
    "Assessment",
    "Certificate",
    "CertificateProduct",
    "CertificateStatus",
    "CertificationApplication",
    "Complaint",
    "CriteriaSet",
    "OpenApplicationLock",
    "CacheVersion",
    "Community",
    "Craft",
    "GroupInvitation",
    "GroupStatus",
    "PayoutMethod",
    "Product",
    "ProductImage",
    "ProductStatus",
    "ProductVariant",
    "StockMode",
    "ApiToken",
    "AuditEvent",
    "GroupMembership",
    "GroupRole",
    "LoginAttempt",
    "OutboxMessage",
    "ProducerGroup",
    "Role",
    "User",
    "UserRole",
    "utcnow",
]
