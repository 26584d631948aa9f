"""JSON API for products: the catalog with filters and search, editing, status, stock, photos."""

from typing import Annotated, Literal

from fastapi import (
    APIRouter,
    Body,
    Depends,
    File,
    Form,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from marketplace.auth.deps import CurrentUser, OptionalUser
from marketplace.catalog import service, views
from marketplace.catalog.schemas import (
    ImagePublic,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    ReorderIn,
    StockIn,
)
from marketplace.catalog.serialize import product_public, products_public
from marketplace.catalog.service import photos, search
from marketplace.core.deps import SettingsDep, StorageDep, settings_of, storage_of
from marketplace.core.openapi import problems
from marketplace.core.pagination import Page
from marketplace.db import SessionDep
from marketplace.media import uploads
from marketplace.models import Community, Craft, Product, ProductStatus

router = APIRouter(tags=["products"])


class CatalogFilters(BaseModel):
    """The storefront's filters, as query parameters."""

    q: str = Field("", max_length=200, description="Words in English or Khmer")
    craft: Craft | None = None
    province: str | None = Field(None, pattern=r"^\d{2}$", description="Province code")
    community: Community | None = None
    min_price_cents: int | None = Field(None, ge=0, le=100_000_000)
    max_price_cents: int | None = Field(None, ge=0, le=100_000_000)
    availability: Literal["in_stock", "made_to_order"] | None = None
    certified_only: bool = False
    group_id: int | None = Field(None, ge=1, le=2**31 - 1)
    sort: search.Sort = "newest"
    limit: int = Field(24, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200,
                               description="The `next` of the previous page")
    page: int = Field(1, ge=1, le=10_000, description="Used when no cursor is given")


def _editable(product_id: int, session: SessionDep, user: CurrentUser) -> Product:
    return service.editable_product(session=session, actor=user, product_id=product_id)


EditableProduct = Annotated[Product, Depends(_editable)]
UpdateBody = Annotated[ProductUpdate, Body(openapi_examples={
    "price": {"summary": "New price and stock",
              "value": {"price_cents": 4200, "stock_on_hand": 5}},
    "made_to_order": {"summary": "Switch to made to order",
                      "value": {"stock_mode": "made_to_order", "lead_time_days": 21,
                                "monthly_capacity": 6}},
})]
StockBody = Annotated[StockIn, Body(openapi_examples={
    "restock": {"summary": "Six pieces held", "value": {"stock_on_hand": 6}}})]
ReorderBody = Annotated[ReorderIn, Body(openapi_examples={
    "cover": {"summary": "Photo 12 becomes the cover", "value": {"image_ids": [12, 10, 11]}}})]


@router.get(
    "/products",
    summary="Search the catalog",
    description=(
        "Products buyers can see, filtered like the storefront. `q` finds words inside longer "
        "ones, which Khmer needs. Follow `next` with `cursor` for the following page. "
        "`count` is exact, except for a search with `q` matching more than 1,000 products: "
        "then it is 1001, meaning more than 1,000."
    ),
    responses=problems(422),
)
def list_products(request: Request,
                  filters: Annotated[CatalogFilters, Query()]) -> Page[ProductPublic]:
    # The list is the same for every caller: served from the page cache like the storefront
    # (until a product on it, or the list itself, changes).
    def build(req: Request, session) -> tuple[Response, None]:
        query = search.CatalogQuery(**filters.model_dump(mode="json"))
        rows, total, next_cursor = search.search(session=session, query=query)
        views.shows_list(req, query, available=rows)  # each piece's stock is in the list
        body = Page[ProductPublic](
            data=products_public(session, storage_of(req), settings_of(req), rows),
            count=total, next=next_cursor)
        return JSONResponse(body.model_dump(mode="json")), None

    return views.page(request, build, personal=False)


@router.get(
    "/products/{product_id}",
    summary="One product",
    description="Visible products for everyone; members of the owning group also see drafts.",
    responses=problems(404, 422),
)
def get_product(product_id: int, session: SessionDep, storage: StorageDep,
                settings: SettingsDep, user: OptionalUser) -> ProductPublic:
    product = service.viewable_product(session=session, actor=user, product_id=product_id)
    return product_public(session, storage, settings, product)


@router.post(
    "/products",
    status_code=status.HTTP_201_CREATED,
    summary="Create a product (group members)",
    description=(
        "A draft of one of your groups' products. Add a photo, then publish it. Made-to-order "
        "pieces need `lead_time_days` and `monthly_capacity`."
    ),
    responses=problems(401, 403, 422),
)
def create_product(data: ProductCreate, session: SessionDep, storage: StorageDep,
                   settings: SettingsDep, user: CurrentUser) -> ProductPublic:
    product = service.create_product(session=session, actor=user, data=data)
    return product_public(session, storage, settings, product)


@router.patch(
    "/products/{product_id}",
    summary="Change a product (group members)",
    description="Omitted fields stay as they are.",
    responses=problems(401, 403, 404, 422),
)
def update_product(product: EditableProduct, data: UpdateBody, session: SessionDep,
                   storage: StorageDep, settings: SettingsDep,
                   user: CurrentUser) -> ProductPublic:
    product = service.update_product(session=session, actor=user, product=product, data=data)
    return product_public(session, storage, settings, product)


def _set_status(session, storage, settings, user, product, to: ProductStatus) -> ProductPublic:
    product = service.set_status(session=session, actor=user, product=product, to=to)
    return product_public(session, storage, settings, product)


@router.post(
    "/products/{product_id}/publish",
    summary="Publish a product (group members)",
    description="Needs at least one photo. Buyers see it once the group is verified.",
    responses=problems(401, 403, 404, 409, 422),
)
def publish_product(product: EditableProduct, session: SessionDep, storage: StorageDep,
                    settings: SettingsDep, user: CurrentUser) -> ProductPublic:
    return _set_status(session, storage, settings, user, product, ProductStatus.PUBLISHED)


@router.post(
    "/products/{product_id}/archive",
    summary="Archive a product (group members)",
    description="Hides it from buyers; it can be published again later.",
    responses=problems(401, 403, 404, 409, 422),
)
def archive_product(product: EditableProduct, session: SessionDep, storage: StorageDep,
                    settings: SettingsDep, user: CurrentUser) -> ProductPublic:
    return _set_status(session, storage, settings, user, product, ProductStatus.ARCHIVED)


@router.post(
    "/products/{product_id}/draft",
    summary="Return a product to draft (group members)",
    responses=problems(401, 403, 404, 409, 422),
)
def draft_product(product: EditableProduct, session: SessionDep, storage: StorageDep,
                  settings: SettingsDep, user: CurrentUser) -> ProductPublic:
    return _set_status(session, storage, settings, user, product, ProductStatus.DRAFT)


@router.put(
    "/products/{product_id}/stock",
    summary="Set the stock held (group members)",
    description="Never below what unpaid orders have reserved. Not for made-to-order pieces.",
    responses=problems(401, 403, 404, 409, 422),
)
def set_stock(product: EditableProduct, data: StockBody, session: SessionDep,
              storage: StorageDep, settings: SettingsDep, user: CurrentUser) -> ProductPublic:
    product = service.set_stock(session=session, actor=user, product=product,
                                stock_on_hand=data.stock_on_hand)
    return product_public(session, storage, settings, product)


@router.post(
    "/products/{product_id}/images",
    status_code=status.HTTP_201_CREATED,
    summary="Add a photo (group members)",
    description=(
        "Multipart form: `file` (JPEG, PNG or WebP, at most 15 MB and 40 megapixels) and "
        "`alt_text` describing the photo. Metadata such as GPS positions is removed. "
        "At most 8 photos per product."
    ),
    responses=problems(401, 403, 404, 409, 422),
)
def add_image(
    product: EditableProduct,
    file: Annotated[UploadFile, File(description="The photo: JPEG, PNG or WebP")],
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
    alt_text: Annotated[str, Form(max_length=2000, description="What the photo shows",
                                  examples=["Indigo scarf folded on a loom"])] = "",
) -> ImagePublic:
    with uploads.errors_named("file"):
        photo = photos.add_photo(session=session, storage=storage, actor=user,
                                 product=product, data=uploads.read(file), alt_text=alt_text)
    return photos.public(storage, photo)


@router.delete(
    "/products/{product_id}/images/{image_id:int}",  # :int so that .../images/order is
    # only the PUT below (a DELETE there is 405 with `Allow: PUT`, not a 422)
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a photo (group members)",
    responses=problems(401, 403, 404, 422),
)
def delete_image(product: EditableProduct, image_id: int, session: SessionDep,
                 user: CurrentUser) -> Response:
    photos.delete_photo(session=session, actor=user, product=product, image_id=image_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/products/{product_id}/images/order",
    summary="Reorder the photos (group members)",
    description="Name every photo of the product once; the first is the cover. "
                "Answers with the photos in their new order.",
    responses=problems(401, 403, 404, 422),
)
def reorder_images(product: EditableProduct, data: ReorderBody, session: SessionDep,
                   storage: StorageDep, user: CurrentUser) -> list[ImagePublic]:
    photos.reorder(session=session, actor=user, product=product, image_ids=data.image_ids)
    return [photos.public(storage, p) for p in photos.photos_of(session=session,
                                                                product_id=product.id)]
