"""Password hashing (argon2id) and signed, expiring tokens (itsdangerous)."""

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from marketplace.errors import TokenExpired, TokenInvalid  # noqa: F401 - raised here

# argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane): strong, and a burst of log-ins
# on a small server costs tens of megabytes, not the library default's 64 MiB each.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong password or a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """A hash to check against for an unknown email, so that answer costs the same time."""
    return _hasher.hash(secrets.token_urlsafe(16))


def sign(secret_key: str, purpose: str, payload: dict) -> str:
    """A URL-safe token carrying ``payload``, signed for one ``purpose``."""
    return URLSafeTimedSerializer(secret_key, salt=purpose).dumps(payload)


def unsign(secret_key: str, purpose: str, token: str, max_age: int) -> dict:
    """The payload of a token made by ``sign``; raises TokenExpired or TokenInvalid."""
    try:
        return URLSafeTimedSerializer(secret_key, salt=purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired() from exc
    except BadSignature as exc:
        raise TokenInvalid() from exc


def sign_fixed(secret_key: str, purpose: str, payload: dict) -> str:
    """Like ``sign`` but without the signing time: the same payload always gives the same
    token (put an expiry in the payload when it needs one)."""
    return URLSafeSerializer(secret_key, salt=purpose).dumps(payload)


def unsign_fixed(secret_key: str, purpose: str, token: str) -> dict:
    """The payload of a token made by ``sign_fixed``; raises TokenInvalid."""
    try:
        return URLSafeSerializer(secret_key, salt=purpose).loads(token)
    except BadSignature as exc:
        raise TokenInvalid() from exc


def digest(value: str) -> str:
    """SHA-256 hex digest (for high-entropy tokens, never for passwords)."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_api_token() -> str:
    return "mkp_" + secrets.token_urlsafe(32)
