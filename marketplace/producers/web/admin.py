"""Admin pages for producer groups: the list (applied first), verify / suspend / reinstate,
payout destination checks, and each group's audit history."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from marketplace import access, audit, geo
from marketplace.auth.deps import AdminUser
from marketplace.core.templating import flash, render
from marketplace.core.urls import safe_next
from marketplace.db import SessionDep
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.models import GroupStatus
from marketplace.producers import forms, service

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE_SIZE = 200
STATUS_ORDER = {GroupStatus.APPLIED: 0, GroupStatus.SUSPENDED: 1, GroupStatus.VERIFIED: 2}


@router.get("/admin/groups")
def groups(request: Request, session: SessionDep, admin: AdminUser,
           status: Annotated[str, Query(pattern="^(|applied|verified|suspended)$")] = "",
           page: Annotated[int, Query(ge=1, le=1000)] = 1):
    found, total = service.list_groups(session=session, actor=admin, status=status or None,
                                       limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    found.sort(key=lambda g: STATUS_ORDER.get(g.status, 9))  # stable: by name within
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(request, "admin/groups.html", {
        "groups": found, "total": total, "status": status, "page": page,
        "more": page * PAGE_SIZE < total, "next_url": here, "labels": forms.LABELS,
        "provinces": {g.id: (geo.province(g.province_code).name
                             if geo.province(g.province_code) else "") for g in found},
    })


def _detail(request: Request, session, admin, group, *, form: dict | None = None,
            errors: dict | None = None, status_code: int = 200):
    return render(request, "producers/admin_group.html", {
        "group": group,
        "members": service.members(session=session, actor=admin, group=group),
        "history": audit.history(session=session, entity_type="producer_group",
                                 entity_id=group.id),
        "place": geo.describe(group.village_code, group.province_code),
        "labels": forms.LABELS,
        "next_url": f"/admin/groups/{group.id}",
        "form": form or {},
        "errors": errors or {},
    }, status_code=status_code)


@router.get("/admin/groups/{group_id}")
def group_detail(group_id: int, request: Request, session: SessionDep, admin: AdminUser):
    group = access.get_group(session=session, group_id=group_id)
    return _detail(request, session, admin, group)


DONE = {
    "verified": N_("%(name)s is verified: its published products are now visible."),
    "suspended": N_("%(name)s is suspended: its products are hidden from buyers."),
    "reinstated": N_("%(name)s is reinstated: its published products are visible again."),
}


@router.post("/admin/groups/{group_id}/transition")
def transition(group_id: int, request: Request, session: SessionDep, admin: AdminUser,
               to: Annotated[GroupStatus, Form()],
               reason: Annotated[str, Form(max_length=1000)] = "",
               next: Annotated[str, Form(max_length=300)] = ""):  # noqa: A002
    group = access.get_group(session=session, group_id=group_id)
    before = group.status
    try:
        service.transition(session=session, actor=admin, group=group, to=to, reason=reason)
    except ValidationFailed as exc:
        return _detail(request, session, admin, group, form={"reason": reason},
                       errors=exc.errors, status_code=422)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return RedirectResponse(safe_next(next, "/admin/groups"), status_code=303)
    if to == GroupStatus.VERIFIED:
        key = "verified" if before == GroupStatus.APPLIED else "reinstated"
    else:
        key = "suspended"
    template = DONE[key]
    message = _(template, name=group.name)
    flash(request, message, "success")
    return RedirectResponse(safe_next(next, "/admin/groups"), status_code=303)


@router.post("/admin/groups/{group_id}/payout/verify")
def verify_payout(group_id: int, request: Request, session: SessionDep, admin: AdminUser,
                  next: Annotated[str, Form(max_length=300)] = ""):  # noqa: A002
    group = access.get_group(session=session, group_id=group_id)
    try:
        service.verify_payout_destination(session=session, actor=admin, group=group)
    except Conflict as exc:
        flash(request, exc.detail, "error")
    else:
        flash(request, _("The payout destination of %(name)s is verified.", name=group.name),
              "success")
    return RedirectResponse(safe_next(next, "/admin/groups"), status_code=303)
