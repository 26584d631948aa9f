"""Shared OpenAPI pieces: the problem+json schema and the error responses routes declare."""

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(examples=["email"])
    message: str = Field(examples=["Enter a valid email address."])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["https://crafts.example/problems/validation-failed"])
    title: str = Field(examples=["Invalid input"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["Some fields need your attention."])
    instance: str | None = Field(default=None, examples=["/api/v1/users"])
    errors: list[FieldError] | None = None


def problems(*statuses: int) -> dict:
    """``responses=`` entries documenting problem+json for each status."""
    descriptions = {
        400: "Bad request",
        401: "Not authenticated",
        403: "Forbidden",
        404: "Not found",
        409: "Conflict with the current state",
        410: "Expired or already used",
        422: "Invalid input, one entry per field",
        429: "Too many attempts; see Retry-After",
        503: "Busy: nothing was saved; retry after Retry-After seconds",
    }
    return {
        status: {
            "model": Problem,
            "description": descriptions.get(status, "Error"),
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }
