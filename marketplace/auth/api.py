"""JSON API for accounts: sign-up, bearer tokens (issue, list, revoke), the current user."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from marketplace.auth import service
from marketplace.auth.deps import CurrentUser
from marketplace.auth.schemas import ApiTokenPublic, SignupAccepted, SignupIn, TokenOut, UserPublic
from marketplace.core.clientip import client_ip
from marketplace.core.deps import SettingsDep
from marketplace.core.openapi import problems
from marketplace.core.pagination import Page
from marketplace.core.problems import problem
from marketplace.db import SessionDep
from marketplace.i18n import gettext as _
from marketplace.models import User

router = APIRouter(tags=["auth"])


def _public(session, user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        locale=user.locale,
        email_verified=user.email_verified_at is not None,
        roles=sorted(service.roles_of(session=session, user=user)),
    )


@router.post(
    "/users",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Sign up",
    description=(
        "Creates a buyer account and emails a link to verify the address; log in "
        "(`POST /api/v1/auth/token`) once it is verified. The answer is the same 202 whether "
        "or not the address already has an account, so sign-up does not reveal who has one: "
        "the holder of an existing account is emailed instead (with links to log in and to "
        "choose a new password), and no second account is made."
    ),
    responses=problems(422),
)
def create_user(data: SignupIn, session: SessionDep, settings: SettingsDep) -> SignupAccepted:
    email = service.request_signup(session=session, settings=settings, data=data)
    return SignupAccepted(
        email=email,
        detail=_("We sent an email to this address. Follow its link to continue."),
    )


@router.get("/users/me", summary="The current user", responses=problems(401))
def me(session: SessionDep, user: CurrentUser) -> UserPublic:
    return _public(session, user)


@router.post(
    "/auth/token",
    summary="Issue a bearer token",
    description=(
        "OAuth2 password flow; the email address must be verified (403 otherwise). Failed "
        "attempts slow the client down, never the account: after a few failures for one "
        "account from one client address (`MARKETPLACE_LOGIN_FREE_FAILURES`, default 5), or "
        "many from one address for any accounts (`MARKETPLACE_LOGIN_CLIENT_FREE_FAILURES`, "
        "default 50), the next attempt from that address must wait: 429 with `Retry-After` "
        "(seconds). The wait starts at `MARKETPLACE_LOGIN_DELAY_SECONDS` and doubles with "
        "each further failure up to `MARKETPLACE_LOGIN_MAX_DELAY_SECONDS`. The same account "
        "from another address is not affected; a successful log-in clears that address's "
        "failures. A password change or reset revokes every token of the account."
    ),
    responses=problems(401, 403, 422, 429),
)
def issue_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
):
    user = service.authenticate(
        session=session, settings=settings, email=form.username[:254],
        password=form.password[:256], ip=client_ip(request),
    )
    if user is None:  # answered, not raised, so the failed attempt is committed
        return problem(401, _("Please log in"),
                       _("The email address or password is not correct."),
                       slug="invalid-credentials", instance=request.url.path,
                       headers={"WWW-Authenticate": "Bearer"})
    if user.email_verified_at is None:
        return problem(403, _("Not allowed"), _("Please verify your email address first."),
                       slug="email-not-verified", instance=request.url.path)
    token, raw = service.create_api_token(session=session, settings=settings, user=user,
                                          name=form.client_id or "api")
    return TokenOut(access_token=raw, expires_at=token.expires_at)


@router.get("/auth/tokens", summary="List my API tokens", responses=problems(401))
def list_tokens(session: SessionDep, user: CurrentUser) -> Page[ApiTokenPublic]:
    tokens = service.list_api_tokens(session=session, user=user)
    return Page[ApiTokenPublic](
        data=[ApiTokenPublic.model_validate(t) for t in tokens], count=len(tokens)
    )


@router.delete(
    "/auth/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke one of my API tokens",
    responses=problems(401, 404),
)
def revoke_token(token_id: int, session: SessionDep, user: CurrentUser) -> Response:
    service.revoke_api_token(session=session, user=user, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
