"""The official places of Cambodia for address forms (``marketplace.geo``): the provinces,
and the places inside one province, district or commune. The checkout page's script fills
each address select from these when the one above it changes (static/js/address.js).

The same for everyone (both the English and the Khmer name of each place), so they are sent
with ``Cache-Control: public`` for a day: a browser or a proxy answers the next visitor. The
lists change only with a new edition of the official codes.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from marketplace import geo
from marketplace.core.openapi import problems
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _

router = APIRouter(prefix="/geo", tags=["places"])

CACHE = "public, max-age=86400, stale-while-revalidate=604800"


class PlacePublic(BaseModel):
    code: str = Field(description="Official code: province 2 digits, district 4, commune 6, "
                                  "village 8; each starts with the code of the place it is in",
                      examples=["120101"])
    name_en: str = Field(examples=["Tonle Basak"])
    name_km: str = Field(examples=["ទន្លេបាសាក់"])


class PlacesPublic(BaseModel):
    data: list[PlacePublic]
    count: int


def _places(places, response: Response) -> PlacesPublic:
    response.headers["Cache-Control"] = CACHE
    return PlacesPublic(data=[PlacePublic(code=p.code, name_en=p.name_en, name_km=p.name_km)
                              for p in places], count=len(places))


def _code(digits: int, example: str):
    return Annotated[str, Path(pattern=rf"^\d{{{digits}}}$", examples=[example])]


@router.get("/provinces", summary="The provinces", responses=problems(),
            description="All 25 provinces (Phnom Penh too), by English name.")
def provinces(response: Response) -> PlacesPublic:
    return _places(geo.provinces(), response)


@router.get("/provinces/{code}/districts", summary="The districts of a province",
            responses=problems(404))
def districts(code: _code(2, "12"), response: Response) -> PlacesPublic:
    if geo.province(code) is None:
        raise NotFound(_("No such province."))
    return _places(geo.districts(code), response)


@router.get("/districts/{code}/communes", summary="The communes of a district",
            responses=problems(404))
def communes(code: _code(4, "1201"), response: Response) -> PlacesPublic:
    if geo.district(code) is None:
        raise NotFound(_("No such district."))
    return _places(geo.communes(code), response)


@router.get("/communes/{code}/villages", summary="The villages of a commune",
            description="May be empty: a few communes list no villages.",
            responses=problems(404))
def villages(code: _code(6, "120101"), response: Response) -> PlacesPublic:
    if not any(c.code == code for c in geo.communes(code[:4])):
        raise NotFound(_("No such commune."))
    return _places(geo.villages(code), response)
