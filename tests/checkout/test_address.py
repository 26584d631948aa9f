"""One address rule: the checkout pages and the API accept and refuse the same addresses,
with the stricter rules of the two (phones through ``phonenumbers``, the countries we ship to,
a name of two characters or more), and store the phone the same way (E.164)."""

import pytest

from marketplace.checkout.service.address import parse_address
from marketplace.errors import ValidationFailed
from tests.factories import create_product
from tests.helpers.api import cart_of, fields
from tests.helpers.api import place as api_place
from tests.helpers.checkout import CONTACT, PHNOM_PENH, checkout_post, fill_cart, place

PARIS = {"country": "FR", "shipping_option": "ems", "address_line": "12 rue des Tisserands",
         "city": "Paris", "postal_code": "75011"}
BAD = [
    ({"phone": "12"}, "phone"),  # not a number anyone can call
    ({"phone": "+855 99"}, "phone"),
    ({"full_name": "A"}, "full_name"),  # one letter is not a name
    ({"email": "not-an-email"}, "email"),
    ({"village_code": "12010199"}, "village_code"),  # not a village of that commune
    ({"shipping_option": "ems"}, "shipping_option"),  # EMS is for abroad
]


def api_body(**overrides) -> dict:
    body = {**CONTACT, **PHNOM_PENH, **overrides}
    body.pop("destination", None)
    return body


@pytest.mark.parametrize(("change", "field"), BAD)
def test_the_pages_and_the_api_refuse_the_same_addresses(client, session, change, field):
    product = create_product(session, stock_on_hand=5)
    fill_cart(client, product)
    page = checkout_post(client, {**CONTACT, **PHNOM_PENH, **change, "step": "review"})
    assert page.status_code == 422
    assert f'id="{field}-error"' in page.text or f'name="{field}"' in page.text
    with pytest.raises(ValidationFailed) as refused:
        parse_address(api_body(**change))
    assert field in refused.value.errors

    token = cart_of(client, [(product, 1)])
    answer = api_place(client, token, **change)  # the API's sample address, changed alike
    assert answer.status_code == 422, answer.text
    assert field in fields(answer)


def test_a_country_we_do_not_ship_to_is_refused_by_both(client, session):
    with pytest.raises(ValidationFailed) as refused:
        parse_address({**CONTACT, **PARIS, "country": "AQ"})
    assert list(refused.value.errors) == ["country"]
    token = cart_of(client, [(create_product(session), 1)])
    answer = api_place(client, token, **{**PARIS, "country": "AQ",
                                         "province_code": None, "district_code": None,
                                         "commune_code": None, "village_code": None})
    assert answer.status_code == 422 and "country" in fields(answer)


def test_a_cambodian_phone_without_the_country_code_is_stored_in_e164(client, session):
    product = create_product(session, stock_on_hand=5)
    token = cart_of(client, [(product, 1)])
    by_api = api_place(client, token, phone="012 345 678")
    assert by_api.status_code == 201, by_api.text
    assert by_api.json()["phone"] == "+85512345678"
    fill_cart(client, product)
    summary = checkout_post(client, {**CONTACT, **PHNOM_PENH, "step": "review"})
    assert place(client, summary.text).status_code == 303
    assert parse_address(api_body()).phone == "+85512345678"
    abroad = parse_address({**CONTACT, **PARIS, "phone": "06 12 34 56 78"})
    assert abroad.phone == "+33612345678"
