"""Producer dashboard pages for products: create and edit, publish / archive, stock, photos.

Every page loads the product through ``catalog.service.editable_product`` (or checks the
group membership for a new one), so a member of another group gets 403 and nothing changes.
Forms work without JavaScript: reordering photos is a "move up" / "move down" button.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from marketplace import access
from marketplace.auth.deps import CurrentUser
from marketplace.catalog import forms, service
from marketplace.catalog.schemas import ProductCreate, ProductUpdate, StockIn
from marketplace.catalog.service import photos
from marketplace.core.deps import StorageDep
from marketplace.core.forms import FormDep, form_values, parse_form
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.media import uploads
from marketplace.models import ProductStatus

router = APIRouter(tags=["pages"], include_in_schema=False)

def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _edit_url(product_id: int, anchor: str = "") -> str:
    return f"/dashboard/products/{product_id}/edit" + (f"#{anchor}" if anchor else "")


def _page(request: Request, *, group, product=None, storage=None, session=None,
          form: dict | None = None, errors: dict | None = None, status_code: int = 200):
    """The product form; for an existing product also its status, stock and photos."""
    values = form if form is not None else (forms.product_values(product) if product else {
        "stock_mode": "stock", "craft": (group.crafts or [""])[0]})
    context = {
        "group": group,
        "product": product,
        "form": values,
        "errors": errors or {},
        "labels": forms.LABELS,
        "craft_options": forms.options(forms.CRAFT_LABELS),
        "method_options": forms.options(forms.METHOD_LABELS),
        "material_rows": forms.pair_rows(values, "material"),
        "step_rows": forms.pair_rows(values, "step"),
        "km_material_rows": forms.pair_rows(values, "km_material"),
        "km_step_rows": forms.pair_rows(values, "km_step"),
    }
    if product is not None:
        values.setdefault("quantity", str(product.stock_on_hand))
        current = ProductStatus(product.status)
        context["moves"] = [to for to in (ProductStatus.PUBLISHED, ProductStatus.DRAFT,
                                          ProductStatus.ARCHIVED)
                            if to in service.PRODUCT_STATUS.allowed(current)]
        context["photos"] = [photos.public(storage, p)
                             for p in photos.photos_of(session=session, product_id=product.id)]
        context["max_photos"] = photos.MAX_PHOTOS
    return render(request, "dashboard/product_form.html", context, status_code=status_code)


def _editable(session, user, product_id: int):
    product = service.editable_product(session=session, actor=user, product_id=product_id)
    return product, access.get_group(session=session, group_id=product.group_id)


# -- create -----------------------------------------------------------------------------------

@router.get("/dashboard/products/new")
def new_form(request: Request, session: SessionDep, user: CurrentUser,
             group_id: Annotated[int, Query()]):
    group = access.get_group(session=session, group_id=group_id)
    access.require_member(session=session, user=user, group_id=group.id)
    return _page(request, group=group)


@router.post("/dashboard/products/new")
def create(request: Request, form: FormDep, session: SessionDep, user: CurrentUser,
           group_id: Annotated[int, Query()]):
    group = access.get_group(session=session, group_id=group_id)
    access.require_member(session=session, user=user, group_id=group.id)
    try:
        with all_or_nothing(session):
            data = forms.parse_product(ProductCreate, form, group_id=group.id)
            product = service.create_product(session=session, actor=user, data=data)
    except ValidationFailed as exc:
        return _page(request, group=group, form=form_values(form),
                     errors=forms.field_errors(exc.errors), status_code=422)
    flash(request, _("The product is saved as a draft. Add photos, then publish it."),
          "success")
    return _see_other(_edit_url(product.id, "photos"))


# -- edit -------------------------------------------------------------------------------------

@router.get("/dashboard/products/{product_id}/edit")
def edit_form(product_id: int, request: Request, session: SessionDep, storage: StorageDep,
              user: CurrentUser):
    product, group = _editable(session, user, product_id)
    return _page(request, group=group, product=product, storage=storage, session=session)


@router.post("/dashboard/products/{product_id}/edit")
def edit(product_id: int, request: Request, form: FormDep, session: SessionDep, storage: StorageDep,
         user: CurrentUser):
    product, group = _editable(session, user, product_id)
    try:
        with all_or_nothing(session):
            data = forms.parse_product(ProductUpdate, form)
            service.update_product(session=session, actor=user, product=product, data=data)
    except ValidationFailed as exc:
        product, group = _editable(session, user, product_id)
        return _page(request, group=group, product=product, storage=storage, session=session,
                     form=form_values(form), errors=forms.field_errors(exc.errors),
                     status_code=422)
    flash(request, _("The product is saved."), "success")
    return _see_other(_edit_url(product.id))


@router.post("/dashboard/products/{product_id}/status")
def change_status(product_id: int, request: Request, session: SessionDep, user: CurrentUser,
                  to: Annotated[ProductStatus, Form()]):
    product, _group = _editable(session, user, product_id)
    try:
        service.set_status(session=session, actor=user, product=product, to=to)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return _see_other(_edit_url(product.id, "status"))
    messages = {ProductStatus.PUBLISHED: _("The product is published."),
                ProductStatus.ARCHIVED: _("The product is archived: buyers no longer see it."),
                ProductStatus.DRAFT: _("The product is back to draft: buyers no longer see it.")}
    flash(request, messages[to], "success")
    return _see_other(_edit_url(product.id, "status"))


@router.post("/dashboard/products/{product_id}/stock")
def change_stock(product_id: int, request: Request, form: FormDep, session: SessionDep,
                 storage: StorageDep, user: CurrentUser):
    product, group = _editable(session, user, product_id)
    values = form_values(form)
    try:
        with all_or_nothing(session):
            data = parse_form(StockIn, {"stock_on_hand": values.get("quantity", "").strip()})
            service.set_stock(session=session, actor=user, product=product,
                              stock_on_hand=data.stock_on_hand)
    except ValidationFailed as exc:
        product, group = _editable(session, user, product_id)
        message = next(iter(exc.errors.values()))
        return _page(request, group=group, product=product, storage=storage, session=session,
                     form={**forms.product_values(product), "quantity": values.get("quantity")},
                     errors={"quantity": message}, status_code=422)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return _see_other(_edit_url(product.id, "stock"))
    flash(request, _("Stock is now %(n)s.", n=data.stock_on_hand), "success")
    return _see_other(_edit_url(product.id, "stock"))


# -- photos -----------------------------------------------------------------------------------

@router.post("/dashboard/products/{product_id}/photos")
def add_photo(product_id: int, request: Request, form: FormDep, session: SessionDep,
              storage: StorageDep, user: CurrentUser):
    product, group = _editable(session, user, product_id)
    upload = form.get("photo")
    data = uploads.read(upload) if isinstance(upload, UploadFile) else b""
    alt_text = form.get("alt_text") if isinstance(form.get("alt_text"), str) else ""
    try:
        photos.add_photo(session=session, storage=storage, actor=user, product=product,
                         data=data, alt_text=alt_text)
    except ValidationFailed as exc:
        return _page(request, group=group, product=product, storage=storage, session=session,
                     form={**forms.product_values(product), "alt_text": alt_text},
                     errors=exc.errors, status_code=422)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return _see_other(_edit_url(product.id, "photos"))
    flash(request, _("The photo is added."), "success")
    return _see_other(_edit_url(product.id, "photos"))


@router.post("/dashboard/products/{product_id}/photos/{image_id}/delete")
def delete_photo(product_id: int, image_id: int, request: Request, session: SessionDep,
                 user: CurrentUser):
    product, _group = _editable(session, user, product_id)
    photos.delete_photo(session=session, actor=user, product=product, image_id=image_id)
    flash(request, _("The photo is deleted."), "success")
    return _see_other(_edit_url(product.id, "photos"))


@router.post("/dashboard/products/{product_id}/photos/{image_id}/move")
def move_photo(product_id: int, image_id: int, request: Request, session: SessionDep,
               user: CurrentUser, direction: Annotated[str, Form(pattern="^(up|down)$")]):
    product, _group = _editable(session, user, product_id)
    photos.move(session=session, actor=user, product=product, image_id=image_id,
                step=-1 if direction == "up" else 1)
    return _see_other(_edit_url(product.id, "photos"))
