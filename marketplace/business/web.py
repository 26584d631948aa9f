"""HTML pages for businesses: apply (or correct an application), the business page with the
team and documents, accepting an invitation, and the admins' queue with decisions and terms.
Every rule (who may do what) is checked by the services."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from marketplace import access, audit, geo
from marketplace.auth.deps import AdminUser, CurrentUser, OptionalUser
from marketplace.business import service
from marketplace.business.schemas import BusinessApply, InvitationIn, TermsIn
from marketplace.core.deps import PrivateFilesDep, SettingsDep
from marketplace.core.forms import (
    FormDep,
    dollars,
    field_errors,
    form_values,
    options,
    parse_form,
)
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import Conflict, Gone, ValidationFailed
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.media import documents
from marketplace.models import Business, BusinessRole, BusinessStatus, DocumentKind

router = APIRouter(tags=["pages"], include_in_schema=False)

KIND_LABELS = {"shop": N_("Craft shop"), "hotel": N_("Hotel or resort"),
               "exporter": N_("Exporter or importer"), "ngo_shop": N_("NGO shop"),
               "other": N_("Other")}
STATUS_LABELS = {"applied": N_("Waiting for verification"), "verified": N_("Verified"),
                 "rejected": N_("Not approved"), "suspended": N_("Suspended")}
ROLE_LABELS = {"owner": N_("Owner"), "buyer": N_("Buyer")}
DOCUMENT_LABELS = {"registration": N_("Ministry of Commerce registration"),
                   "tax": N_("Tax certificate"), "other": N_("Other document")}
LABELS = {"kind": KIND_LABELS, "status": STATUS_LABELS, "role": ROLE_LABELS,
          "document": DOCUMENT_LABELS}
FIELDS = ("legal_name", "legal_name_km", "trading_name", "trading_name_km", "kind", "tax_id",
          "moc_registration", "country_code", "province_code", "district_code",
          "commune_code", "village_code", "address_line", "phone")
PAGE_SIZE = 100


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _form(request: Request, action: str, values: dict, errors: dict | None = None,
          status_code: int = 200):
    return render(request, "business/apply.html", {
        "action": action, "form": values, "errors": field_errors(errors or {}),
        "address": geo.address_choices(values), "labels": LABELS,
        "kind_options": options(KIND_LABELS),
    }, status_code=status_code)


def _submitted(request, form, session, user, action: str, save):
    """The application form sent: the next address level, or saved by ``save(data)``."""
    values = form_values(form)
    values.setdefault("country_code", "KH")
    if form.get("step", "save") != "save":
        return _form(request, action, values)
    try:
        save(parse_form(BusinessApply, {k: values.get(k, "").strip() for k in FIELDS}))
    except (ValidationFailed, Conflict) as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"__all__": exc.detail}
        return _form(request, action, values, errors, status_code=422)
    flash(request, _("Your application is sent; an administrator will verify the business."),
          "success")
    return _see_other("/business")


@router.get("/business/apply")
def apply_form(request: Request, user: CurrentUser):
    return _form(request, "/business/apply", {"country_code": "KH", "kind": "shop"})


@router.post("/business/apply")
def apply(request: Request, form: FormDep, session: SessionDep, user: CurrentUser):
    return _submitted(request, form, session, user, "/business/apply",
                      lambda data: service.apply(session=session, actor=user, data=data))


def _mine(session, user):
    member = access.business_membership(session=session, user=user)
    if member is None:
        return None, None
    return service.viewable(session=session, actor=user, business_id=member.business_id), member


@router.get("/business/edit")
def edit_form(request: Request, session: SessionDep, user: CurrentUser):
    business, _member = _mine(session, user)
    if business is None:
        return _see_other("/business/apply")
    return _form(request, "/business/edit",
                 {k: "" if getattr(business, k) is None else str(getattr(business, k))
                  for k in FIELDS})


@router.post("/business/edit")
def edit(request: Request, form: FormDep, session: SessionDep, user: CurrentUser):
    business, _member = _mine(session, user)
    if business is None:
        return _see_other("/business/apply")
    return _submitted(request, form, session, user, "/business/edit",
                      lambda data: service.resubmit(session=session, actor=user,
                                                    business=business, data=data))


def _page(request, session, user, *, form: dict | None = None, errors: dict | None = None,
          status_code: int = 200):
    business, member = _mine(session, user)
    if business is None:
        return render(request, "business/page.html", {"business": None},
                      status_code=status_code)
    return render(request, "business/page.html", {
        "business": business, "is_owner": member.role == BusinessRole.OWNER,
        "members": service.members(session=session, actor=user, business=business),
        "documents": service.documents_of(session=session, actor=user, business=business),
        "place": geo.describe(business.village_code, business.province_code)
        if business.country_code == "KH" else business.address_line,
        "labels": LABELS, "role_options": options(ROLE_LABELS),
        "document_options": options(DOCUMENT_LABELS),
        "form": form or {"role": BusinessRole.BUYER, "kind": DocumentKind.REGISTRATION},
        "errors": field_errors(errors or {}),
    }, status_code=status_code)


@router.get("/business")
def page(request: Request, session: SessionDep, user: CurrentUser):
    return _page(request, session, user)


@router.post("/business/invite")
def invite(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
           user: CurrentUser):
    business, _member = _mine(session, user)
    values = form_values(form)
    try:
        if business is None:
            raise ValidationFailed({"email": _("Apply as a business first.")})
        data = parse_form(InvitationIn, {"email": values.get("email", "").strip(),
                                         "role": values.get("role") or BusinessRole.BUYER})
        service.invite(session=session, settings=settings, actor=user, business=business,
                       email=data.email, role=data.role)
    except ValidationFailed as exc:
        return _page(request, session, user, form=values, errors=exc.errors, status_code=422)
    flash(request, _("Invitation sent to %(email)s. The link in it is valid for %(days)s days.",
                     email=data.email, days=service.INVITATION_DAYS), "success")
    return _see_other("/business#team")


@router.post("/business/members/{user_id}/{action}")
def change_member(user_id: int, action: str, request: Request, form: FormDep,
                  session: SessionDep, user: CurrentUser):
    """The owner's buttons on the team table: a new role, or out of the team."""
    business, _member = _mine(session, user)
    if business is None or action not in ("role", "remove"):
        return _see_other("/business")
    role = form_values(form).get("role", "")
    try:
        with all_or_nothing(session):
            if action == "remove":
                service.remove_member(session=session, actor=user, business=business,
                                      user_id=user_id)
            elif role in (BusinessRole.OWNER, BusinessRole.BUYER):
                service.set_member_role(session=session, actor=user, business=business,
                                        user_id=user_id, role=BusinessRole(role))
            else:
                raise ValidationFailed({"role": _("Choose a role.")})
    except (Conflict, ValidationFailed) as exc:
        return _page(request, session, user, errors={"__all__": exc.detail},
                     status_code=exc.status_code)
    flash(request, _("The team is updated."), "success")
    return _see_other("/business#team")


@router.post("/business/documents")
def upload(request: Request, form: FormDep, session: SessionDep, files: PrivateFilesDep,
           user: CurrentUser):
    business, _member = _mine(session, user)
    upload = form.get("document")
    kind = form.get("kind") if isinstance(form.get("kind"), str) else ""
    try:
        if business is None or kind not in DOCUMENT_LABELS:
            raise ValidationFailed({"kind": _("Choose what the document is.")})
        data = upload.file.read(documents.MAX_BYTES + 1) if isinstance(upload, UploadFile) \
            else b""
        service.add_document(session=session, files=files, actor=user, business=business,
                             kind=DocumentKind(kind), data=data,
                             filename=getattr(upload, "filename", "") or "")
    except ValidationFailed as exc:
        return _page(request, session, user, form={"kind": kind, "role": BusinessRole.BUYER},
                     errors=exc.errors, status_code=422)
    flash(request, _("The document is kept with your application."), "success")
    return _see_other("/business#documents")


@router.get("/business/{business_id}/documents/{document_id}")
def download(business_id: int, document_id: int, session: SessionDep, files: PrivateFilesDep,
             user: CurrentUser):
    business = service.viewable(session=session, actor=user, business_id=business_id)
    found = service.document(session=session, actor=user, business=business,
                             document_id=document_id)
    return files.download(found)


# -- invitations ------------------------------------------------------------------------------

@router.get("/business/invitations/{token}")
def invitation(token: str, request: Request, session: SessionDep, user: OptionalUser):
    if user is None:
        return _see_other(f"/auth/login?next={quote('/business/invitations/' + token, safe='')}")
    try:
        found = service.invitation_for(session=session, token=token)
    except Gone as exc:
        return render(request, "producers/invitation_gone.html", {"detail": exc.detail},
                      status_code=410)
    return render(request, "business/invitation.html", {
        "invitation": found, "token": token, "labels": LABELS,
        "business": session.get(Business, found.business_id)})


@router.post("/business/invitations/{token}")
def accept(token: str, request: Request, session: SessionDep, user: CurrentUser):
    try:
        business = service.accept_invitation(session=session, actor=user, token=token)
    except Gone as exc:
        return render(request, "producers/invitation_gone.html", {"detail": exc.detail},
                      status_code=410)
    flash(request, _("Welcome! You now buy for %(business)s.", business=business.legal_name),
          "success")
    return _see_other("/business")


# -- administrators ---------------------------------------------------------------------------

@router.get("/admin/businesses")
def queue(request: Request, session: SessionDep, admin: AdminUser,
          status: Annotated[str, Query(pattern="^(|applied|verified|rejected|suspended)$")]
          = "applied"):
    found, total = service.list_businesses(session=session, actor=admin, status=status or None,
                                           limit=PAGE_SIZE)
    return render(request, "admin/businesses.html", {
        "businesses": found, "total": total, "status": status, "labels": LABELS,
        "statuses": options(STATUS_LABELS)})


def _detail(request, session, admin, business, *, form: dict | None = None,
            errors: dict | None = None, status_code: int = 200):
    return render(request, "admin/business.html", {
        "business": business, "labels": LABELS,
        "members": service.members(session=session, actor=admin, business=business),
        "documents": service.documents_of(session=session, actor=admin, business=business),
        "history": audit.history(session=session, entity_type="business",
                                 entity_id=business.id),
        "place": geo.describe(business.village_code, business.province_code)
        if business.country_code == "KH" else business.address_line,
        "decisions": [d for d, to in service.DECISIONS.items()
                      if to in service.BUSINESS_STATUS.allowed(business.status)
                      and (d != "reinstate" or business.status == BusinessStatus.SUSPENDED)
                      and (d != "verify" or business.status == BusinessStatus.APPLIED)],
        "form": form or {"payment_terms_days": str(business.payment_terms_days or ""),
                         "credit_limit": f"{business.credit_limit_cents / 100:.2f}"},
        "errors": field_errors(errors or {}),
    }, status_code=status_code)


@router.get("/admin/businesses/{business_id}")
def detail(business_id: int, request: Request, session: SessionDep, admin: AdminUser):
    business = service.viewable(session=session, actor=admin, business_id=business_id)
    return _detail(request, session, admin, business)


@router.post("/admin/businesses/{business_id}/decision")
def decide(business_id: int, request: Request, form: FormDep, session: SessionDep,
           settings: SettingsDep, admin: AdminUser):
    business = service.viewable(session=session, actor=admin, business_id=business_id)
    values = form_values(form)
    decision = values.get("decision", "")
    try:
        if decision not in service.DECISIONS:
            raise ValidationFailed({"decision": _("Choose a decision.")})
        service.decide(session=session, settings=settings, actor=admin, business=business,
                       decision=decision, reason=values.get("reason", ""))
    except ValidationFailed as exc:
        return _detail(request, session, admin, business, form=values, errors=exc.errors,
                       status_code=422)
    except Conflict as exc:
        return _detail(request, session, admin, business, form=values,
                       errors={"decision": exc.detail}, status_code=409)
    flash(request, _("Decision recorded; the owner is told by email."), "success")
    return _see_other(f"/admin/businesses/{business.id}")


@router.post("/admin/businesses/{business_id}/terms")
def terms(business_id: int, request: Request, form: FormDep, session: SessionDep,
          admin: AdminUser):
    business = service.viewable(session=session, actor=admin, business_id=business_id)
    values = form_values(form)
    try:
        days = values.get("payment_terms_days", "")
        days = int(days) if days.isdigit() else (-1 if days else None)  # -1: refused
        limit = dollars(values, "credit_limit", default=0)
        service.set_terms(session=session, actor=admin, business=business, data=parse_form(
            TermsIn, {"payment_terms_days": days, "credit_limit_cents": limit}))
    except (ValidationFailed, Conflict) as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {
            "payment_terms_days": exc.detail}
        return _detail(request, session, admin, business, form=values, errors=errors,
                       status_code=422)
    flash(request, _("Terms saved."), "success")
    return _see_other(f"/admin/businesses/{business.id}")
