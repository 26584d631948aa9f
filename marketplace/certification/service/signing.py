"""Signed hang-tag tokens: Ed25519 over the certificate number, products and expiry.

Anyone holding the public key (published at /seal/public-key) can check a token offline.
Token = base64url(claims JSON) "." base64url(signature).
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from marketplace.config import Settings
from marketplace.errors import BadRequest


class TokenError(BadRequest):
    """Why a hang-tag token does not verify; ``code`` is stable."""

    slug = "seal-token-invalid"

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__()


@dataclass(frozen=True)
class Claims:
    number: str
    product_ids: tuple[int, ...]
    expires_on: str  # ISO date


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@cache
def _private_key(seed_b64: str | None, secret_key: str) -> Ed25519PrivateKey:
    if seed_b64:
        seed = base64.b64decode(seed_b64)
    else:
        seed = hashlib.sha256(f"seal-signing:{secret_key}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed[:32])


def private_key(settings: Settings) -> Ed25519PrivateKey:
    return _private_key(settings.seal_signing_key, settings.secret_key)


def public_key_pem(settings: Settings) -> str:
    return private_key(settings).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def public_key_raw_b64(settings: Settings) -> str:
    raw = private_key(settings).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(raw)


def sign(settings: Settings, claims: Claims) -> str:
    body = json.dumps({"n": claims.number, "p": list(claims.product_ids),
                       "x": claims.expires_on}, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(body)}.{_b64(private_key(settings).sign(body))}"


def verify(settings: Settings, token: str) -> Claims:
    """The claims of a genuine token; TokenError('malformed' | 'bad-signature') otherwise."""
    return verify_with(private_key(settings).public_key(), token)


def verify_with(public_key: Ed25519PublicKey, token: str) -> Claims:
    try:
        body_b64, sig_b64 = (token or "").strip().split(".")
        body, signature = _unb64(body_b64), _unb64(sig_b64)
    except (ValueError, TypeError) as exc:
        raise TokenError("malformed") from exc
    try:
        public_key.verify(signature, body)
    except InvalidSignature as exc:
        raise TokenError("bad-signature") from exc
    try:
        data = json.loads(body)
        return Claims(str(data["n"]), tuple(int(p) for p in data["p"]), str(data["x"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("malformed") from exc
