"""``Annotated`` dependency aliases: the current user from the session cookie or a bearer token.

Settings, storage and the payment gateway are in :mod:`marketplace.core.deps`.
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from marketplace.auth import service
from marketplace.auth.service import roles, sessions
from marketplace.core.clientip import client_ip
from marketplace.core.deps import settings_of
from marketplace.core.openapi import REQUIRES_USER
from marketplace.db import SessionDep
from marketplace.errors import Forbidden, NotAuthenticated
from marketplace.models import Role, User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _session_user(request: Request, session) -> User | None:
    """The user of the browser's live server-side session (``auth.sessions``), or None."""
    if "session" not in request.scope:
        return None
    raw = request.session.get(sessions.COOKIE_KEY)
    if not raw or not isinstance(raw, str):
        return None
    visitors = getattr(request.app.state, "visitors", None)
    before = visitors.before_check() if visitors is not None else b""
    found = sessions.live_with_user(session=session, raw=raw)
    if found is None:
        request.session.pop(sessions.COOKIE_KEY, None)
        if visitors is not None:
            visitors.forget(raw)
        return None
    row, user = found
    last_seen, expires_at = sessions.touch(session=session, settings=settings_of(request),
                                           row=row, ip=client_ip(request))
    request.state.session_id = row.id
    if visitors is not None:
        # Pages shared by signed-in visitors show this one's header without a query until
        # the session or the account changes (``auth.service.visitors``).
        roles = service.roles_of(session=session, user=user)
        visitors.remember(raw, user_id=user.id, roles=roles, before=before,
                          touch_after=last_seen + sessions.TOUCH_EVERY, expires_at=expires_at)
        request.state.roles = roles
    return user


def get_optional_user(
    request: Request,
    session: SessionDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)] = None,
) -> User | None:
    """The signed-in user (HTML: session cookie; API: bearer token), or None."""
    if request.url.path.startswith("/api/"):
        user = service.user_for_api_token(session=session, raw=bearer) if bearer else None
    else:
        user = _session_user(request, session)
    request.state.user = user
    if user is not None and not hasattr(request.state, "roles"):
        request.state.roles = service.roles_of(session=session, user=user)
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


setattr(get_current_user, REQUIRES_USER, True)  # the OpenAPI document lists its 401


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(role: Role):
    def dependency(request: Request, user: CurrentUser) -> User:
        if role not in getattr(request.state, "roles", set()):
            raise Forbidden()
        return user

    return dependency


AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]
OfficerUser = Annotated[User, Depends(require_role(Role.OFFICER))]
ProducerUser = Annotated[User, Depends(require_role(Role.PRODUCER))]

__all__ = ["AdminUser", "CurrentUser", "OfficerUser", "OptionalUser", "ProducerUser", "roles"]
