"""The HTML checkout as a phone browser without JavaScript uses it: fill the cart, fill the
address and review the summary, then place the order with the summary's hidden fields."""

import re

from tests.helpers import csrf_from, form_post

CONTACT = {"email": "alex@example.com", "full_name": "Alex Traveller",
           "phone": "012 345 678"}
PHNOM_PENH = {"destination": "KH", "province_code": "12", "district_code": "1201",
              "commune_code": "120101", "village_code": "12010101",
              "address_line": "House 12, Street 240", "shipping_option": "courier"}
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def fill_cart(client, product, quantity=1):
    response = form_post(client, f"/cart/add?product_id={product.id}", "/cart/add",
                         {"product_id": str(product.id), "quantity": str(quantity)})
    assert response.status_code == 303, response.text
    return response


def checkout_post(client, data):
    return form_post(client, "/checkout", "/checkout", data)


def review(client, data=None):
    """Fill the checkout form and press "Review your order": the summary page."""
    page = checkout_post(client, {**CONTACT, **PHNOM_PENH, **(data or {}), "step": "review"})
    assert page.status_code == 200, page.text
    return page


def place_form(summary_html: str) -> dict:
    """The hidden fields of the summary's "Place order" form, as the browser sends them."""
    form = summary_html.split('action="/checkout/place"', 1)[1].split("</form>", 1)[0]
    return {**dict(HIDDEN.findall(form)), "csrf_token": csrf_from(summary_html)}


def place(client, summary_html: str):
    return client.post("/checkout/place", data=place_form(summary_html))
