"""Password hashing (argon2id) and signed, expiring tokens (itsdangerous)."""

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


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


# A hash computed once so that a log-in for an unknown email costs the same time.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def sign(secret_key: str, purpose: str, payload: dict) -> str:
    """A URL-safe token carrying ``payload``, signed for one ``purpose``."""
    return URLSafeTimedSerializer(secret_key, salt=purpose).dumps(payload)


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def unsign(secret_key: str, purpose: str, token: str, max_age: int) -> dict:
    """The payload of a token made by ``sign``; raises TokenExpired or TokenInvalid."""
    try:
        return URLSafeTimedSerializer(secret_key, salt=purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired() from exc
    except BadSignature as exc:
        raise TokenInvalid() from exc


def digest(value: str) -> str:
    """SHA-256 hex digest (for high-entropy tokens, never for passwords)."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_api_token() -> str:
    return "mkp_" + secrets.token_urlsafe(32)
