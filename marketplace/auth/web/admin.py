"""Admin pages: find users, grant and remove roles.

Each role a user holds has its own Remove, which opens a confirmation (a ``<details>``, so
it works without JavaScript) whose submit names that user and that role.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from marketplace.auth.deps import AdminUser
from marketplace.auth.service import roles
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep
from marketplace.errors import NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import User

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/admin/users")
def users(request: Request, session: SessionDep, admin: AdminUser,
          q: Annotated[str, Query(max_length=120)] = ""):
    found = roles.list_users(session=session, actor=admin, query=q)
    return render(request, "admin/users.html", {
        "users": found,
        "user_roles": roles.roles_by_user(session=session, user_ids=[u.id for u in found]),
        "grantable": roles.GRANTABLE,
        "role_labels": roles.ROLE_LABELS,
        "q": q,
    })


def _target(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


@router.post("/admin/users/{user_id}/roles")
def change_role(user_id: int, request: Request, session: SessionDep, admin: AdminUser,
                role: Annotated[str, Form(max_length=32)],
                action: Annotated[str, Form(max_length=10)] = "grant"):
    target = _target(session, user_id)
    label = _(roles.ROLE_LABELS.get(role, role))
    try:
        if action == "revoke":
            if roles.revoke_role(session=session, actor=admin, user=target, role=role):
                flash(request, _("The role “%(role)s” is removed from %(email)s.",
                                 role=label, email=target.email), "success")
            else:
                flash(request, _("%(email)s does not have this role: nothing was removed.",
                                 email=target.email), "error")
        elif roles.grant_role(session=session, actor=admin, user=target, role=role):
            flash(request, _("The role “%(role)s” is granted to %(email)s.",
                             role=label, email=target.email), "success")
        else:
            flash(request, _("%(email)s already has this role.", email=target.email), "error")
    except ValidationFailed as exc:
        flash(request, next(iter(exc.errors.values())), "error")
    return RedirectResponse(f"/admin/users#user-{target.id}", status_code=303)
