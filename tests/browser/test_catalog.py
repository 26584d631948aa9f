"""A producer group's way into the catalog, in a phone-sized browser: register the group with
the step-by-step address, get verified by an administrator, add a product with a Khmer title
and a photo, publish it; then a buyer finds it by a Khmer word and by filters and sees the
photo, the price in riel and the group. A member of another group cannot edit it."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from marketplace.i18n import usd_to_khr
from tests.factories import create_group, create_product, create_user
from tests.helpers.browser import (
    button,
    fill,
    flash_text,
    image_loaded,
    log_in,
    log_out,
    response_status,
    submit,
    write_photo,
)

pytestmark = pytest.mark.browser

GROUP_NAME = "Kachon Rattan Weavers"
TITLE = "Rattan back-basket"
TITLE_KM = "កន្ត្រកផ្ដៅធ្វើដោយដៃ"  # "handmade rattan basket": ផ្ដៅ (rattan) sits mid-phrase
KHMER_WORD = "ផ្ដៅ"
PRICE_CENTS = 1850
# Ratanak Kiri > Andoung Meas > Malik > Katae
ADDRESS = (("province_code", "16"), ("district_code", "1601"), ("commune_code", "160101"),
           ("village_code", "16010102"))


def choose(browser, field_id: str, value: str) -> None:
    Select(browser.find_element(By.ID, field_id)).select_by_value(value)


# -- the flow ---------------------------------------------------------------------------------

def register_group(browser, live_server: str) -> None:
    browser.get(f"{live_server}/groups/apply")
    fill(browser, "f-name", GROUP_NAME)
    fill(browser, "f-name_km", "ក្រុមត្បាញផ្ដៅកាចុញ")
    choose(browser, "f-community", "tampuan")
    browser.find_element(By.CSS_SELECTOR, "input[name='crafts'][value='basketry']").click()
    fill(browser, "f-phone", "012 345 678")
    fill(browser, "f-members_count", "14")
    fill(browser, "f-women_count", "11")

    # Each "Next" sends the form back with the next list: what was typed must survive.
    next_buttons = ("Next: choose district", "Next: choose commune", "Next: choose village")
    for (field, code), label in zip(ADDRESS, next_buttons, strict=False):
        choose(browser, f"f-{field}", code)
        submit(browser, button(browser, label))
        assert browser.find_element(By.ID, "f-name").get_attribute("value") == GROUP_NAME
        assert browser.find_element(
            By.CSS_SELECTOR, "input[name='crafts'][value='basketry']").is_selected()
        assert Select(browser.find_element(By.ID, f"f-{field}")) \
            .first_selected_option.get_attribute("value") == code
    field, code = ADDRESS[-1]
    village = Select(browser.find_element(By.ID, f"f-{field}"))
    assert "Katae" in [option.text for option in village.options]
    village.select_by_value(code)
    assert browser.find_element(By.ID, "f-phone").get_attribute("value") == "012 345 678"

    submit(browser, button(browser, "Send the application"))
    assert browser.current_url == f"{live_server}/dashboard", flash_text(browser)
    assert "application is sent" in flash_text(browser)
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == GROUP_NAME
    status = browser.find_element(By.ID, "h-status").text
    assert "Waiting for verification" in status
    profile = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby='h-profile']").text
    assert "Katae" in profile and "Ratanak Kiri" in profile
    assert "+85512345678" in profile  # the phone, stored in international form


def verify_group(browser, live_server: str) -> None:
    browser.get(f"{live_server}/admin/groups")
    row = browser.find_element(
        By.XPATH, f"//ul[@class='group-rows']/li[.//h2/a[normalize-space()='{GROUP_NAME}']]")
    assert "Waiting for verification" in row.text
    submit(browser, button(browser, "Verify the group", row))
    assert f"{GROUP_NAME} is verified" in flash_text(browser)
    row = browser.find_element(
        By.XPATH, f"//ul[@class='group-rows']/li[.//h2/a[normalize-space()='{GROUP_NAME}']]")
    assert "Verified" in row.find_element(By.CSS_SELECTOR, ".badge").text


def add_and_publish_product(browser, live_server: str, photo_path: str) -> str:
    """Returns the product's dashboard edit URL."""
    browser.get(f"{live_server}/dashboard")
    submit(browser, browser.find_element(By.LINK_TEXT, "Add a product"))
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == "Add a product"
    fill(browser, "f-title", TITLE)
    fill(browser, "f-title_km", TITLE_KM)
    fill(browser, "f-description", "Woven from split rattan; carried on the back to the fields.")
    assert Select(browser.find_element(By.ID, "f-craft")) \
        .first_selected_option.get_attribute("value") == "basketry"  # the group's craft
    fill(browser, "f-category", "back-basket")
    fill(browser, "f-material_0", "Rattan")
    fill(browser, "f-origin_0", "Forest near Malik")
    fill(browser, "f-price", "18.50")
    fill(browser, "f-stock_on_hand", "3")
    submit(browser, button(browser, "Save as draft"))
    assert "/edit" in browser.current_url, flash_text(browser)
    edit_url = browser.current_url.split("#")[0]
    assert "saved as a draft" in flash_text(browser)
    assert "Draft" in browser.find_element(By.ID, "h-status").text

    photos = browser.find_element(By.ID, "photos")
    photos.find_element(By.CSS_SELECTOR, "input[type='file']").send_keys(photo_path)
    fill(browser, "f-alt_text", "Rattan back-basket standing on a wooden floor")
    submit(browser, button(browser, "Upload the photo"))
    assert "photo is added" in flash_text(browser)
    thumb = browser.find_element(By.CSS_SELECTOR, "#photos ol.thumbs img")
    assert thumb.get_attribute("alt") == "Rattan back-basket standing on a wooden floor"
    assert image_loaded(browser, thumb)

    submit(browser, button(browser, "Publish"))
    assert "product is published" in flash_text(browser)
    assert "Published" in browser.find_element(By.ID, "h-status").text
    assert "Buyers can see and buy this product." in browser.find_element(By.ID, "status").text
    return edit_url


def result_titles(browser) -> list[str]:
    return [h.text for h in browser.find_elements(By.CSS_SELECTOR, "li.product-card h3")]


def search_catalog(browser, live_server: str, *, q: str = "", craft: str = "",
                   province: str = "") -> None:
    browser.get(f"{live_server}/catalog")
    fill(browser, "f-q", q)
    if craft or province:  # the filters are folded away on a phone
        browser.find_element(By.CSS_SELECTOR, "details.filters-fold > summary").click()
    choose(browser, "f-craft", craft)
    choose(browser, "f-province", province)
    submit(browser, button(browser, "Show pieces"))


def test_group_registers_is_verified_publishes_and_a_buyer_finds_the_piece(
        browser, live_server, session, settings, tmp_path):
    member = create_user(session, email="leader.kachon@example.com", full_name="Sav Lanh")
    admin = create_user(session, email="admin@example.com", full_name="Admin", role=["admin"])
    # Another verified group in the same province, with a woven scarf: filters must skip it.
    other = create_product(session, title="Indigo cotton scarf",
                           group=create_group(session, name="Other Weavers"))
    photo_path = write_photo(tmp_path, "basket.png")

    log_in(browser, live_server, member.email)
    register_group(browser, live_server)
    log_out(browser)

    log_in(browser, live_server, admin.email)
    verify_group(browser, live_server)
    log_out(browser)

    log_in(browser, live_server, member.email)
    add_and_publish_product(browser, live_server, photo_path)
    # The other group's product is not this member's to edit.
    browser.get(f"{live_server}/dashboard/products/{other.id}/edit")
    assert response_status(browser) == 403
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == "Not allowed"
    assert not browser.find_elements(By.ID, "f-title")
    log_out(browser)

    # A buyer, not logged in: the Khmer word inside the longer title finds the piece.
    search_catalog(browser, live_server, q=KHMER_WORD)
    assert browser.find_element(By.ID, "results-h").text == "1 piece"
    assert result_titles(browser) == [TITLE]
    card = browser.find_element(By.CSS_SELECTOR, "li.product-card")
    assert GROUP_NAME in card.text

    search_catalog(browser, live_server, craft="basketry", province="16")
    assert result_titles(browser) == [TITLE]
    search_catalog(browser, live_server, province="16")
    assert sorted(result_titles(browser)) == sorted([TITLE, "Indigo cotton scarf"])
    search_catalog(browser, live_server, craft="basketry", province="11")  # Mondulkiri
    assert result_titles(browser) == []
    assert "No pieces match" in browser.find_element(By.ID, "main").text

    search_catalog(browser, live_server, q=KHMER_WORD, craft="basketry", province="16")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "li.product-card a.card-link"))
    assert browser.find_element(By.ID, "product-h").text == TITLE
    photo = browser.find_element(By.CSS_SELECTOR, ".product-photos img")
    assert photo.get_attribute("srcset"), "the product photo has no srcset"
    assert photo.get_attribute("alt") == "Rattan back-basket standing on a wooden floor"
    assert image_loaded(browser, photo), "the product photo did not load"
    price = browser.find_element(By.CSS_SELECTOR, ".product-info .price").text
    assert "$18.50" in price
    riel = f"{usd_to_khr(PRICE_CENTS, settings.khr_per_usd):,}\u00a0៛"
    assert browser.find_element(By.CSS_SELECTOR, ".product-info .price .khr").text \
        .replace(" ", "\u00a0") == riel
    maker = browser.find_element(By.CSS_SELECTOR, ".product-info a[href^='/groups/']")
    assert maker.text == GROUP_NAME
    assert "Ratanak Kiri" in maker.find_element(By.XPATH, "..").text
    assert TITLE in browser.title
