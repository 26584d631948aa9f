"""HTML pages for producer groups: registration, the dashboard, profile, members, payouts,
and accepting an invitation. Every rule (who may do what) is checked by the services."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from marketplace import access, geo
from marketplace.auth.deps import CurrentUser, OptionalUser
from marketplace.catalog import service as catalog
from marketplace.catalog.service import photos
from marketplace.config import get_settings
from marketplace.core.deps import SettingsDep, StorageDep
from marketplace.core.forms import FormDep, form_values, parse_form
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep
from marketplace.errors import Gone, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import GroupRole
from marketplace.producers import forms, service
from marketplace.producers.schemas import GroupApply, GroupUpdate, InvitationIn, PayoutDestinationIn

router = APIRouter(tags=["pages"], include_in_schema=False)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _group_form(request: Request, template: str, context: dict, values: dict,
                crafts: list[str], errors: dict | None = None, status_code: int = 200):
    """The registration or profile form, with the address lists down to the chosen level."""
    return render(request, template, {
        **context,
        "form": values,
        "crafts_selected": crafts,
        "errors": forms.field_errors(errors or {}),
        "address": geo.address_choices(values),
        "community_options": forms.options(forms.COMMUNITY_LABELS),
        "labels": forms.LABELS,
    }, status_code=status_code)


# -- registration -----------------------------------------------------------------------------

APPLY = {"action": "/groups/apply"}


@router.get("/groups/apply")
def apply_form(request: Request, user: CurrentUser):
    apply = {**APPLY, "submit_label": _("Send the application")}
    return _group_form(request, "producers/apply.html", apply, {}, [])


@router.post("/groups/apply")
def apply(request: Request, form: FormDep, session: SessionDep, user: CurrentUser):
    values, crafts = form_values(form), form.getlist("crafts")
    context = {**APPLY, "submit_label": _("Send the application")}
    if form.get("step", "save") != "save":  # a "Next" button: show the next address level
        return _group_form(request, "producers/apply.html", context, values, crafts)
    try:
        data = parse_form(GroupApply, forms.group_data(form))
        service.apply(session=session, actor=user, data=data)
    except ValidationFailed as exc:
        return _group_form(request, "producers/apply.html", context, values, crafts,
                           exc.errors, status_code=422)
    flash(request, _("Your application is sent; an administrator will verify the group."),
          "success")
    return _see_other("/dashboard")


# -- dashboard --------------------------------------------------------------------------------

def _dashboard(request: Request, session, storage, user, group_id: int | None = None, *,
               form: dict | None = None, errors: dict | None = None, status_code: int = 200):
    ids = access.accessible_group_ids(session=session, user=user)
    if not ids:
        return render(request, "dashboard/index.html", {"group": None, "groups": []},
                      status_code=status_code)
    group_id = group_id if group_id is not None else ids[0]
    member = access.require_member(session=session, user=user, group_id=group_id)
    group = access.get_group(session=session, group_id=group_id)
    products = catalog.products_of_group(session=session, actor=user, group_id=group.id)
    covers = photos.first_photos(session=session, product_ids=[p.id for p in products])
    return render(request, "dashboard/index.html", {
        "group": group,
        "groups": [access.get_group(session=session, group_id=i) for i in ids],
        "is_leader": member.role == GroupRole.LEADER,
        "members": service.members(session=session, actor=user, group=group),
        "place": geo.describe(group.village_code, group.province_code),
        "products": products,
        "covers": {pid: photos.public(storage, photo) for pid, photo in covers.items()},
        "labels": forms.LABELS,
        "role_options": forms.options(forms.ROLE_LABELS),
        "payout_options": forms.options(forms.PAYOUT_LABELS),
        "currency_options": forms.options(forms.CURRENCY_LABELS),
        "payout_hold_days": get_settings().payout_hold_days,
        "form": form or {"role": GroupRole.MEMBER, "method": group.payout_method or "",
                         "account_name": group.payout_account_name or "",
                         "bank_name": group.payout_bank_name or "",
                         "currency": group.payout_currency or "USD"},
        "errors": forms.field_errors(errors or {}),
    }, status_code=status_code)


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, storage: StorageDep, user: CurrentUser,
              group_id: Annotated[int | None, Query()] = None):
    return _dashboard(request, session, storage, user, group_id)


@router.post("/dashboard/groups/{group_id}/invite")
def invite(group_id: int, request: Request, form: FormDep, session: SessionDep,
           settings: SettingsDep, storage: StorageDep, user: CurrentUser):
    group = access.get_group(session=session, group_id=group_id)
    values = form_values(form)
    try:
        data = parse_form(InvitationIn, {"email": values.get("email", "").strip(),
                                         "role": values.get("role") or GroupRole.MEMBER})
        service.invite(session=session, settings=settings, actor=user, group=group,
                       email=data.email, role=data.role)
    except ValidationFailed as exc:
        return _dashboard(request, session, storage, user, group.id, form=values,
                          errors=exc.errors, status_code=422)
    flash(request, _("Invitation sent to %(email)s. The link in it is valid for %(days)s days.",
                     email=data.email, days=service.INVITATION_DAYS), "success")
    return _see_other(f"/dashboard?group_id={group.id}#members")


@router.post("/dashboard/groups/{group_id}/payout")
def payout(group_id: int, request: Request, form: FormDep, session: SessionDep,
           settings: SettingsDep, storage: StorageDep, user: CurrentUser):
    group = access.get_group(session=session, group_id=group_id)
    values = form_values(form)
    fields = ("method", "account_name", "account_number", "bank_name", "currency")
    data = {key: values.get(key, "").strip() for key in fields}
    data["bank_name"] = data["bank_name"] or None
    data["currency"] = data["currency"] or "USD"
    try:
        service.set_payout_destination(session=session, settings=settings, actor=user,
                                       group=group,
                                       data=parse_form(PayoutDestinationIn, data))
    except ValidationFailed as exc:
        return _dashboard(request, session, storage, user, group.id, form=values,
                          errors=exc.errors, status_code=422)
    flash(request, _("Payout destination saved. An administrator will verify it before "
                     "money is sent there."), "success")
    return _see_other(f"/dashboard?group_id={group.id}#payout")


# -- profile ----------------------------------------------------------------------------------

def _edit_context(group) -> dict:
    return {"group": group, "action": f"/dashboard/groups/{group.id}/edit",
            "submit_label": _("Save the profile")}


@router.get("/dashboard/groups/{group_id}/edit")
def edit_form(group_id: int, request: Request, session: SessionDep, user: CurrentUser):
    group = access.get_group(session=session, group_id=group_id)
    access.require_member(session=session, user=user, group_id=group.id)
    values, crafts = forms.group_values(group)
    return _group_form(request, "producers/edit.html", _edit_context(group), values, crafts)


@router.post("/dashboard/groups/{group_id}/edit")
def edit(group_id: int, request: Request, form: FormDep, session: SessionDep, user: CurrentUser):
    group = access.get_group(session=session, group_id=group_id)
    access.require_member(session=session, user=user, group_id=group.id)
    values, crafts = form_values(form), form.getlist("crafts")
    if form.get("step", "save") != "save":
        return _group_form(request, "producers/edit.html", _edit_context(group), values, crafts)
    try:
        data = parse_form(GroupUpdate, forms.group_data(form))
        service.update(session=session, actor=user, group=group, data=data)
    except ValidationFailed as exc:
        return _group_form(request, "producers/edit.html", _edit_context(group), values,
                           crafts, exc.errors, status_code=422)
    flash(request, _("The group profile is saved."), "success")
    return _see_other(f"/dashboard?group_id={group.id}")


# -- invitations ------------------------------------------------------------------------------

def _gone(request: Request, exc: Gone):
    return render(request, "producers/invitation_gone.html", {"detail": exc.detail},
                  status_code=410)


@router.get("/invitations/{token}")
def invitation(token: str, request: Request, session: SessionDep, user: OptionalUser):
    if user is None:
        return _see_other(f"/auth/login?next={quote('/invitations/' + token, safe='')}")
    try:
        found = service.invitation_for(session=session, token=token)
    except Gone as exc:
        return _gone(request, exc)
    group = access.get_group(session=session, group_id=found.group_id)
    return render(request, "producers/invitation.html", {
        "invitation": found, "group": group, "token": token, "labels": forms.LABELS,
        "place": geo.describe(group.village_code, group.province_code),
    })


@router.post("/invitations/{token}")
def accept(token: str, request: Request, session: SessionDep, user: CurrentUser):
    try:
        group = service.accept_invitation(session=session, actor=user, token=token)
    except Gone as exc:
        return _gone(request, exc)
    flash(request, _("Welcome! You are now a member of %(group)s.", group=group.name),
          "success")
    return _see_other(f"/dashboard?group_id={group.id}")
