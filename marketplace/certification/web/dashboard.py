"""The producer group's side of the Seal: its applications, a new application, editing,
photos, submitting, withdrawing, and the officers' results.

Every rule (membership, which status allows what, at least 3 photos) is checked by
``certification.applications``; these routes turn form text into the schemas and show
the service's messages next to the fields.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile  # what request.form() returns

from marketplace import access
from marketplace.auth.deps import CurrentUser
from marketplace.catalog import service as catalog
from marketplace.certification import views
from marketplace.certification.schemas import ApplicationIn, ApplicationUpdate
from marketplace.certification.service import applications, review
from marketplace.core.deps import StorageDep
from marketplace.core.forms import FormDep, form_values, parse_form
from marketplace.core.money import NotAnAmount, parse_dollars
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.media import uploads
from marketplace.models import OPEN_STATUSES, ApplicationStatus

router = APIRouter(tags=["pages"], include_in_schema=False)

TEXT_FIELDS = ("product_line", "materials", "story", "innovation", "intended_market",
               "product_line_km", "materials_km", "story_km", "innovation_km",
               "intended_market_km")
METHODS = {"hand": "hand", "machine": "machine"}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- form text -> schema data -----------------------------------------------------------------

def _method(word: str) -> str | None:
    word = word.strip().lower()
    if word in METHODS:
        return METHODS[word]
    translated = {_("hand").lower(): "hand", _("machine").lower(): "machine"}
    return translated.get(word)


def parse_steps(text: str, errors: dict) -> list[dict]:
    """One step a line, "step | hand" or "step | machine" (hand when no method is given)."""
    steps = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        step, _sep, method_word = line.partition("|")
        method = _method(method_word) if method_word.strip() else "hand"
        if method is None or not step.strip():
            errors.setdefault("steps", _(
                "Line %(n)s: write the step, a bar, then “hand” or “machine”, "
                "e.g. “weaving | hand”.", n=number))
            continue
        steps.append({"step": step.strip(), "method": method})
    return steps


def parse_price(text: str, errors: dict) -> int:
    """Dollars as typed ("45", "45.50", "$45") to cents; none typed is 0."""
    if not (text or "").strip():
        return 0
    try:
        return parse_dollars(text)
    except NotAnAmount:
        errors["price"] = _("Enter a price in dollars, e.g. 45 or 45.50.")
        return 0


def _field(key: str) -> str:
    name = key.split(".", 1)[0]
    return {"price_cents": "price"}.get(name, name)


def application_data(schema, form, *, with_products: bool):
    """Validate the application form; ValidationFailed lists every field's message."""
    errors: dict[str, str] = {}
    data: dict = {name: (form.get(name) or "").strip() for name in TEXT_FIELDS}
    data["steps"] = parse_steps(form.get("steps") or "", errors)
    data["price_cents"] = parse_price(form.get("price") or "", errors)
    data["weight_grams"] = (form.get("weight_grams") or "").strip() or 0
    if with_products:
        data["product_ids"] = form.getlist("product_ids")
    try:
        parsed = parse_form(schema, data)
    except ValidationFailed as exc:
        for key, message in exc.errors.items():
            errors.setdefault(_field(key), message)
        parsed = None
    if with_products and not data["product_ids"]:
        errors["product_ids"] = _("Choose at least one product.")
    if errors:
        raise ValidationFailed(errors)
    return parsed


# -- list -------------------------------------------------------------------------------------

def _certificate(session, application_id: int) -> views.CertificateView | None:
    """The application's seal with the status a visitor sees (a tag only while valid)."""
    certificate = views.certificate_of(session, application_id)
    return views.certificate_view(session, certificate) if certificate else None


@router.get("/dashboard/seal")
def index(request: Request, session: SessionDep, user: CurrentUser):
    rows = applications.list_own(session=session, actor=user)
    return render(request, "certification/dashboard_list.html", {
        "applications": [{
            "application": a,
            "group": access.get_group(session=session, group_id=a.group_id),
            "products": views.product_links(
                session, applications.product_ids(session=session, application_id=a.id)),
            "certificate": _certificate(session, a.id)
            if a.status == ApplicationStatus.APPROVED else None,
        } for a in rows],
        "group_ids": access.accessible_group_ids(session=session, user=user),
        "labels": views.LABELS,
    })


# -- new --------------------------------------------------------------------------------------

def _new_page(request: Request, session, user, group_id: int | None, *, form=None,
              selected=(), errors=None, status_code: int = 200):
    ids = access.accessible_group_ids(session=session, user=user)
    if group_id is None:
        if not ids:
            return _see_other("/dashboard")
        group_id = ids[0]
    products = catalog.products_of_group(session=session, actor=user, group_id=group_id)
    open_in = {}  # product id -> the open application that holds it
    for application in applications.list_own(session=session, actor=user):
        if application.status in OPEN_STATUSES:
            for product_id in applications.product_ids(session=session,
                                                       application_id=application.id):
                open_in[product_id] = application.id
    return render(request, "certification/application_new.html", {
        "group": access.get_group(session=session, group_id=group_id),
        "groups": [access.get_group(session=session, group_id=i) for i in ids],
        "products": [p for p in products if p.status != "archived"],
        "open_in": open_in,
        "selected": {str(s) for s in selected},
        "form": form or {},
        "errors": errors or {},
        "labels": views.LABELS,
    }, status_code=status_code)


@router.get("/dashboard/seal/new")
def new_form(request: Request, session: SessionDep, user: CurrentUser,
             group_id: Annotated[int | None, Query()] = None):
    return _new_page(request, session, user, group_id)


@router.post("/dashboard/seal/new")
def create(request: Request, form: FormDep, session: SessionDep, user: CurrentUser,
           group_id: Annotated[int | None, Query()] = None):
    selected = form.getlist("product_ids")
    try:
        with all_or_nothing(session):
            data = application_data(ApplicationIn, form, with_products=True)
            application = applications.create(session=session, actor=user, data=data)
    except ValidationFailed as exc:
        return _new_page(request, session, user, group_id, form=form_values(form),
                         selected=selected, errors=exc.errors, status_code=422)
    except Conflict as exc:
        return _new_page(request, session, user, group_id, form=form_values(form),
                         selected=selected, errors={"form": exc.detail}, status_code=409)
    flash(request, _("The application is saved as a draft. Add at least 3 photos, then send "
                     "it for review."), "success")
    return _see_other(f"/dashboard/seal/{application.id}#photos")


# -- one application --------------------------------------------------------------------------

def _page(request: Request, session, storage, user, application_id: int, *, form=None,
          errors=None, status_code: int = 200):
    application = applications.visible_to(session=session, actor=user,
                                          application_id=application_id)
    version, items = views.criteria_items(session, application.criteria_set_id)
    is_member = access.membership(session=session, user=user,
                                     group_id=application.group_id) is not None
    return render(request, "certification/application.html", {
        "application": application,
        "group": access.get_group(session=session, group_id=application.group_id),
        "products": views.product_links(
            session, applications.product_ids(session=session, application_id=application.id)),
        "photos": views.photo_views(session, storage, application.id),
        "is_member": is_member,
        "editable": is_member and application.status in applications.EDITABLE,
        "can_withdraw": is_member and application.status in (
            *applications.EDITABLE, ApplicationStatus.SUBMITTED),
        "min_photos": applications.MIN_PHOTOS,
        "max_photos": applications.MAX_PHOTOS,
        "criteria_version": version,
        "titles": {item["key"]: item["title"] for item in items},
        "current": review.latest_assessments(session=session, application=application)
        if application.status != ApplicationStatus.SUBMITTED else {},
        "rounds": views.assessment_rounds(session, application, include_open_round=False),
        "history": views.history(session, "certification_application", application.id),
        "certificate": _certificate(session, application.id),
        "form": form if form is not None else views.application_values(application),
        "errors": errors or {},
        "labels": views.LABELS,
    }, status_code=status_code)


def _url(application_id: int, anchor: str = "") -> str:
    return f"/dashboard/seal/{application_id}" + (f"#{anchor}" if anchor else "")


@router.get("/dashboard/seal/{application_id}")
def detail(application_id: int, request: Request, session: SessionDep, storage: StorageDep,
           user: CurrentUser):
    return _page(request, session, storage, user, application_id)


def _own(session, user, application_id: int):
    return applications.visible_to(session=session, actor=user, application_id=application_id)


@router.post("/dashboard/seal/{application_id}/edit")
def edit(application_id: int, request: Request, form: FormDep, session: SessionDep,
         storage: StorageDep, user: CurrentUser):
    application = _own(session, user, application_id)
    try:
        with all_or_nothing(session):
            data = application_data(ApplicationUpdate, form, with_products=False)
            applications.update(session=session, actor=user, application=application, data=data)
    except ValidationFailed as exc:
        return _page(request, session, storage, user, application_id, form=form_values(form),
                     errors=exc.errors, status_code=422)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return _see_other(_url(application_id))
    flash(request, _("The application is saved."), "success")
    return _see_other(_url(application_id))


@router.post("/dashboard/seal/{application_id}/photos")
def add_photo(application_id: int, request: Request, form: FormDep, session: SessionDep,
              storage: StorageDep, user: CurrentUser):
    application = _own(session, user, application_id)
    upload = form.get("photo")
    data = uploads.read(upload) if isinstance(upload, UploadFile) else b""
    alt_text = form.get("alt_text") if isinstance(form.get("alt_text"), str) else ""
    try:
        with all_or_nothing(session):
            applications.add_photo(session=session, storage=storage, actor=user,
                                   application=application, data=data, alt_text=alt_text)
    except ValidationFailed as exc:
        return _page(request, session, storage, user, application_id,
                     form={**views.application_values(application), "alt_text": alt_text},
                     errors=exc.errors, status_code=422)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return _see_other(_url(application_id, "photos"))
    flash(request, _("The photo is added."), "success")
    return _see_other(_url(application_id, "photos"))


@router.post("/dashboard/seal/{application_id}/photos/{photo_id}/delete")
def delete_photo(application_id: int, photo_id: int, request: Request, session: SessionDep,
                 user: CurrentUser):
    application = _own(session, user, application_id)
    try:
        applications.delete_photo(session=session, actor=user, application=application,
                                  photo_id=photo_id)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return _see_other(_url(application_id, "photos"))
    flash(request, _("The photo is deleted."), "success")
    return _see_other(_url(application_id, "photos"))


@router.post("/dashboard/seal/{application_id}/submit")
def submit(application_id: int, request: Request, session: SessionDep, storage: StorageDep,
           user: CurrentUser):
    application = _own(session, user, application_id)
    try:
        with all_or_nothing(session):
            applications.submit(session=session, actor=user, application=application)
    except ValidationFailed as exc:
        return _page(request, session, storage, user, application_id, errors=exc.errors,
                     status_code=422)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return _see_other(_url(application_id))
    flash(request, _("The application is sent. A certification officer will review it."),
          "success")
    return _see_other(_url(application_id))


@router.post("/dashboard/seal/{application_id}/withdraw")
def withdraw(application_id: int, request: Request, session: SessionDep, user: CurrentUser):
    application = _own(session, user, application_id)
    try:
        with all_or_nothing(session):
            applications.withdraw(session=session, actor=user, application=application)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return _see_other(_url(application_id))
    flash(request, _("The application is withdrawn."), "success")
    return _see_other(_url(application_id))
