"""Turn HTML form data into a validated schema, with translated messages per field."""

from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from marketplace.core.money import NotAnAmount, parse_dollars
from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _

Schema = TypeVar("Schema", bound=BaseModel)


def message_for(error: dict) -> str:
    """A translated message for one pydantic error."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_short":
        if ctx.get("min_length", 1) <= 1 or not error.get("input"):
            return _("This field is required.")
        return _("Use at least %(n)s characters.", n=ctx.get("min_length"))
    if kind == "string_too_long":
        return _("Use at most %(n)s characters.", n=ctx.get("max_length"))
    if kind in {"int_parsing", "int_type", "float_parsing"}:
        return _("Enter a whole number.")
    if kind in {"greater_than_equal", "greater_than"}:
        return _("The number is too small.")
    if kind in {"less_than_equal", "less_than"}:
        return _("The number is too large.")
    if kind == "value_error" and "email" in str(error.get("msg", "")).lower():
        return _("Enter a valid email address.")
    if kind in {"literal_error", "enum"}:
        return _("Choose one of the options.")
    return _("This value is not valid.")


def validation_failed(exc: ValidationError) -> ValidationFailed:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = ".".join(str(p) for p in error.get("loc", ())) or "form"
        errors.setdefault(field, message_for(error))
    return ValidationFailed(errors)


def parse_form(schema: type[Schema], data: dict) -> Schema:
    """Validate ``data`` against ``schema``; raises ValidationFailed with field messages."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise validation_failed(exc) from exc


def form_values(form) -> dict[str, str]:
    """The submitted text fields, to show them again (passwords and the CSRF token left out)."""
    return {
        key: value
        for key, value in form.items()
        if isinstance(value, str) and "password" not in key and key != "csrf_token"
    }


async def read_form(request: Request) -> FormData:
    """The submitted form, read on the event loop (it waits for the network) so that the
    handler can be a plain ``def`` that runs in the thread pool: database and Stripe calls
    never block the event loop. Starlette caches it, so the CSRF check reads it once."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Messages per form field: ``crafts.0`` or ``materials.1.origin`` become the list field."""
    result: dict[str, str] = {}
    for key, message in errors.items():
        result.setdefault(key.split(".")[0], message)
    return result


def text_of(form, name: str) -> str:
    """A text field of a submitted form, stripped ('' when missing or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def options(labels: dict[str, str]) -> list[tuple[str, str]]:
    """(value, translated label) pairs for a select."""
    return [(value, _(label)) for value, label in labels.items()]


def dollars(values: dict, name: str, default: int | None = None) -> int:
    """The field ``name`` as typed in dollars ("18.50", "$1,200"), in cents; ``default`` when
    it is left empty and a default is given; else ValidationFailed naming the field."""
    text = (values.get(name) or "").strip()
    if not text and default is not None:
        return default
    try:
        return parse_dollars(text)
    except NotAnAmount as exc:
        raise ValidationFailed({name: _("Enter an amount in dollars, e.g. 18.50.")}) from exc
