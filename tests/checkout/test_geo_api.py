"""GET /api/v1/geo/...: the official places of Cambodia for the address selects, the same
for everyone (both names) and cacheable (issue 14, item 4)."""

import pytest

from tests.helpers.api import problem

GEO = "/api/v1/geo"


def _places(client, url: str) -> dict[str, tuple[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("public, max-age=86400")
    assert "set-cookie" not in response.headers
    body = response.json()
    assert body["count"] == len(body["data"])
    return {p["code"]: (p["name_en"], p["name_km"]) for p in body["data"]}


def test_each_level_lists_the_places_inside_the_one_above(client):
    provinces = _places(client, f"{GEO}/provinces")
    assert len(provinces) == 25 and provinces["12"] == ("Phnom Penh", "រាជធានីភ្នំពេញ")
    districts = _places(client, f"{GEO}/provinces/12/districts")
    assert districts["1201"][0] == "Chamkar Mon" and all(c.startswith("12") for c in districts)
    communes = _places(client, f"{GEO}/districts/1201/communes")
    assert communes["120101"] == ("Tonle Basak", "ទន្លេបាសាក់")
    villages = _places(client, f"{GEO}/communes/120101/villages")
    assert villages["12010101"][0] == "Phum Muoy"
    assert all(code.startswith("120101") and len(code) == 8 for code in villages)


def test_the_answer_is_the_same_in_either_language(client):
    english = client.get(f"{GEO}/districts/1601/communes")
    khmer = client.get(f"{GEO}/districts/1601/communes", headers={"Accept-Language": "km"})
    assert english.json() == khmer.json()


@pytest.mark.parametrize("url", ["/provinces/99/districts", "/districts/1299/communes",
                                 "/communes/129999/villages", "/districts/1601/communes/x"])
def test_an_unknown_place_is_a_404_problem(client, url):
    assert problem(client.get(GEO + url), 404)


@pytest.mark.parametrize("url", ["/provinces/1/districts", "/provinces/abc/districts",
                                 "/districts/12/communes", "/communes/1201011/villages"])
def test_a_code_of_the_wrong_shape_is_a_422_problem(client, url):
    assert problem(client.get(GEO + url), 422)
