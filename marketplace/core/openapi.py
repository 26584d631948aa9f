"""Shared OpenAPI pieces: the problem+json schema, the error responses routes declare, and
``install``: the generated document completed with the errors every operation can answer."""

from collections.abc import Iterator
from urllib.parse import urljoin

import fastapi.routing
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.routing import BaseRoute


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
    return {
        status: {"model": Problem, "description": DESCRIPTIONS.get(status, "Error")}
        for status in statuses
    }


DESCRIPTIONS = {
    400: "Bad request: the body is not valid JSON (or not a readable form)",
    401: "Not authenticated: no valid bearer token",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict with the current state",
    410: "Expired or already used",
    413: "Request body too large",
    422: "Invalid input, one entry per field",
    429: "Too many attempts; see Retry-After",
    503: "Busy: nothing was saved; retry after Retry-After seconds",
}
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
# FastAPI documents its own validation error; the app answers our Problem instead.
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _flat(routes) -> Iterator:
    """Every route of ``routes``, whichever router included it (FastAPI 0.16x keeps included
    routers nested: ``app.routes`` is no longer flat)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    return iterate(routes) if iterate else iter(routes)


def route_contexts(routes) -> Iterator[tuple[str, set[str], BaseRoute]]:
    """(full path, methods, route as declared) for every route of ``routes``."""
    for context in _flat(routes):
        route = getattr(context, "original_route", context)
        path = getattr(context, "path_format", None) or getattr(context, "path", None)
        yield path, set(getattr(context, "methods", None) or ()), route


def allowed_methods(routes, path: str) -> set[str]:
    """Every method some route accepts at ``path`` (for a 405's Allow header)."""
    from starlette.routing import Match

    # A method no route has: every route whose path matches answers PARTIAL.
    scope = {"type": "http", "path": path, "root_path": "", "method": "\0"}
    methods: set[str] = set()
    for context in _flat(routes):
        if context.matches(scope)[0] == Match.PARTIAL:
            methods |= set(getattr(context, "methods", None) or ())
    return methods


REQUIRES_USER = "requires_user"  # set on the dependency that answers 401 without a user


def _needs_user(route: APIRoute) -> bool:
    """Whether ``route`` depends (at any depth) on a signed-in user (a dependency marked
    with ``REQUIRES_USER``: core knows no domain)."""
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if getattr(dependant.call, REQUIRES_USER, False):
            return True
        stack.extend(dependant.dependencies)
    return False


def _problem_response(status: int, description: str | None = None) -> dict:
    response = {
        "description": description or DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": dict(PROBLEM_REF)}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": dict(RETRY_AFTER)}
    return response


def _complete_operation(operation: dict, *, needs_user: bool) -> None:
    """Every error the app can answer for this /api operation, as problem+json."""
    responses = operation.setdefault("responses", {})
    wanted = {"422", "503"}  # any parameter or body can be invalid; any query can find the
    # database busy (lock or statement timeout): nothing saved, retry
    if "requestBody" in operation:
        wanted |= {"400", "413"}  # malformed body; body over the configured limit
    if needs_user:
        wanted.add("401")
    elif "security" in operation:
        # A bearer token is optional here: without one (or with an unknown one) the
        # operation answers as for an anonymous visitor, never 401.
        operation["security"] = [{}, *operation["security"]]
    for status in wanted:
        responses.setdefault(status, {})
    for status, response in responses.items():
        if not status.isdigit() or int(status) < 400:
            continue
        content = response.get("content") or {}
        schema = (content.get(PROBLEM_MEDIA_TYPE) or {}).get("schema") \
            or (content.get("application/json") or {}).get("schema")
        if not schema or schema.get("$ref", "").rsplit("/", 1)[-1] in FASTAPI_VALIDATION_SCHEMAS:
            schema = PROBLEM_REF
        description = response.get("description")
        if description in (None, "Validation Error"):
            description = None
        responses[status] = _problem_response(int(status), description)
        responses[status]["content"][PROBLEM_MEDIA_TYPE]["schema"] = schema


def _absolute_flow_urls(document: dict, base_url: str) -> None:
    """OpenAPI 3.1 wants OAuth2 flow URLs as URIs (``format: uri``), not relative paths."""
    for scheme in document.get("components", {}).get("securitySchemes", {}).values():
        for flow in scheme.get("flows", {}).values():
            for key in ("authorizationUrl", "tokenUrl", "refreshUrl"):
                if key in flow:
                    flow[key] = urljoin(base_url.rstrip("/") + "/", flow[key])


def complete_document(document: dict, routes, base_url: str) -> dict:
    """Complete FastAPI's generated ``document`` in place (and return it)."""
    _absolute_flow_urls(document, base_url)
    user_routes = {
        (path, method.lower())
        for path, methods, route in route_contexts(routes)
        if isinstance(route, APIRoute) and _needs_user(route)
        for method in methods
    }
    for path, item in document.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method in HTTP_METHODS:
                _complete_operation(operation, needs_user=(path, method) in user_routes)
    schemas = document.get("components", {}).get("schemas", {})
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return document


def install(app: FastAPI) -> None:
    """Serve ``/openapi.json`` completed by ``complete_document`` (built once, then cached)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = complete_document(generate(), app.routes,
                                                   app.state.settings.base_url)
        return app.openapi_schema

    app.openapi = openapi
