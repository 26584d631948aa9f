"""The event loop never waits on the database or on Stripe.

Every route is checked: its handler is a plain ``def`` (run in the thread pool), and the only
``async`` dependencies are the few that await the network (the form, the raw body) or
nothing at all. The engine and the Stripe gateway also refuse to run on the event loop, so
the whole suite fails loudly if one slips through (the live-server tests exercise it).
"""

import asyncio
import inspect

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import text

from marketplace.db import BlockingCallOnEventLoop
from marketplace.payments.gateway import GatewayUnavailable

# Handlers that may be ``async``: they touch neither the database nor Stripe nor files.
ASYNC_HANDLERS = {"/healthz"}
# ``async`` dependencies: each awaits only the request or an in-memory semaphore.
ASYNC_DEPENDENCIES = {"db_slot", "verify_csrf", "read_form", "raw_body",
                      "OAuth2PasswordBearer.__call__"}


def _name(call) -> str:
    if inspect.isfunction(call) or inspect.ismethod(call):
        return call.__qualname__
    return f"{type(call).__name__}.__call__"


def _is_async(call) -> bool:
    target = call if inspect.isfunction(call) or inspect.ismethod(call) else \
        getattr(call, "__call__", None)  # noqa: B004 - a dependency instance's __call__
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def _dependencies(dependant):
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _routes(app) -> list:
    """Every operation, with the dependencies of the routers it is included through."""
    return [route for route in iter_route_contexts(app.routes)
            if getattr(route, "dependant", None) is not None]


def test_every_route_handler_runs_in_the_thread_pool(app):
    routes = _routes(app)
    assert len(routes) > 80  # every page and API operation is really looked at
    async_handlers = sorted(f"{sorted(r.methods)} {r.path}" for r in routes
                            if _is_async(r.endpoint) and r.path not in ASYNC_HANDLERS)
    assert async_handlers == [], "make these handlers plain def (forms: core.forms.FormDep)"


def test_async_dependencies_only_await_the_request(app):
    found = set()
    for route in _routes(app):
        for dependency in _dependencies(route.dependant):
            if dependency.call is not None and _is_async(dependency.call):
                found.add(_name(dependency.call))
    assert found <= ASYNC_DEPENDENCIES, found - ASYNC_DEPENDENCIES
    assert {"read_form", "verify_csrf", "db_slot"} <= found


def test_a_query_on_the_event_loop_is_refused(engine):
    async def on_the_loop():
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    with pytest.raises(BlockingCallOnEventLoop):
        asyncio.run(on_the_loop())
    with engine.connect() as conn:  # the same query off the loop is fine
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_a_stripe_call_on_the_event_loop_is_refused(app):
    async def on_the_loop():
        app.state.gateway.retrieve_intent("pi_anything")

    with pytest.raises(BlockingCallOnEventLoop):
        asyncio.run(on_the_loop())
    with pytest.raises(GatewayUnavailable):  # off the loop it really asks (nobody answers)
        app.state.gateway.retrieve_intent("pi_anything")
