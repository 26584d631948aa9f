"""Input and output shapes for accounts."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]


class SignupIn(BaseModel):
    email: EmailStr = Field(max_length=254)
    full_name: Name
    password: Password
    locale: Literal["en", "km"] = "en"

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "sokha@example.com",
                    "full_name": "Sokha Chan",
                    "password": "a long passphrase",
                    "locale": "km",
                }
            ]
        }
    )


class SignupAccepted(BaseModel):
    """The answer to a sign-up: the same whether or not the address already has an account."""

    email: str
    detail: str

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "sokha@example.com",
                    "detail": "We sent an email to this address. Follow its link to continue.",
                }
            ]
        }
    )


class LoginIn(BaseModel):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class PasswordChangeIn(BaseModel):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    new_password: Password


class PasswordResetIn(BaseModel):
    new_password: Password


class EmailIn(BaseModel):
    email: EmailStr = Field(max_length=254)


class UserPublic(BaseModel):
    id: int
    email: str
    full_name: str
    locale: str
    email_verified: bool
    roles: list[str]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_at: datetime

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "mkp_3k1...",
                    "token_type": "bearer",
                    "expires_at": "2027-02-21T10:00:00Z",
                }
            ]
        }
    )


class ApiTokenPublic(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    model_config = ConfigDict(from_attributes=True)
