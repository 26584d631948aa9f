"""``Annotated`` dependency aliases: the current user from the session cookie or a bearer token."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from marketplace.auth import roles, service
from marketplace.config import Settings
from marketplace.db import SessionDep
from marketplace.errors import Forbidden, NotAuthenticated
from marketplace.media.storage import Storage
from marketplace.models import Role, User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_storage(request: Request) -> Storage:
    return request.app.state.storage


StorageDep = Annotated[Storage, Depends(get_storage)]


def _session_user(request: Request, session) -> User | None:
    if "session" not in request.scope:
        return None
    uid = request.session.get("uid")
    if not uid:
        return None
    user = session.get(User, uid)
    if user is None or not user.is_active or request.session.get("sv") != user.session_version:
        request.session.pop("uid", None)
        request.session.pop("sv", None)
        return None
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
    if user is not None:
        request.state.roles = service.roles_of(session=session, user=user)
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise NotAuthenticated()
    return user


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
