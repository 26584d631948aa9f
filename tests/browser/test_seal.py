"""The Seal of Excellence in a real browser: a group applies for its product with photos, an
officer assesses every item and approves in one form, buyers see the badge, the certificate, a genuine
hang-tag and its QR code; the officer revokes the seal and everything public says so. An
officer never reviews their own group."""

from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from marketplace.certification.service import certificates
from tests.factories import (
    add_member,
    create_application,
    create_group,
    create_product,
    create_user,
)
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

TITLE = "Kreung back-basket"
REVOKE_REASON = "The basket on sale is machine-woven, not the certified hand-made piece."
PHOTO_ALTS = ("The basket from the front", "A detail of the rattan weave",
              "Grandmother Lanh weaving the basket")


def main_text(browser) -> str:
    return browser.find_element(By.ID, "main").text


def seal_badges(browser) -> list:
    return browser.find_elements(By.CSS_SELECTOR, ".product-info .badge.seal")


def apply_for_the_seal(browser, live_server: str, product, tmp_path) -> str:
    """The group's leader fills the application, adds 3 photos and sends it; returns its URL."""
    browser.get(f"{live_server}/dashboard/seal/new")
    browser.find_element(By.ID, f"p-{product.id}").click()
    fill(browser, "f-materials", "Rattan and bamboo from the community forest near O'Yadav")
    fill(browser, "f-steps", "splitting rattan | hand\nweaving the body | hand\n"
                             "smoking over the hearth | hand")
    fill(browser, "f-story", "The pattern of the Kreung back-basket, taught by the elders.")
    fill(browser, "f-innovation", "Leather shoulder straps for visitors.")
    fill(browser, "f-intended_market", "Visitors in Ban Lung and shops in Phnom Penh")
    fill(browser, "f-price", "35")
    fill(browser, "f-weight_grams", "900")
    submit(browser, button(browser, "Save the draft"))
    assert "saved as a draft" in flash_text(browser), main_text(browser)
    application_url = browser.current_url.split("#")[0]
    assert "Draft" in browser.find_element(By.ID, "h-status").text

    for number, alt in enumerate(PHOTO_ALTS):
        path = write_photo(tmp_path, f"seal-{number}.png", 640, 480, color=(60 * number, 90, 40))
        browser.find_element(By.CSS_SELECTOR, "#photos input[type='file']").send_keys(path)
        fill(browser, "f-alt_text", alt)
        submit(browser, button(browser, "Add the photo"))
        assert "photo is added" in flash_text(browser), main_text(browser)
    shown = browser.find_elements(By.CSS_SELECTOR, "#photos ul.seal-photos img")
    assert [img.get_attribute("alt") for img in shown] == list(PHOTO_ALTS)
    assert all(image_loaded(browser, img) for img in shown)

    submit(browser, button(browser, "Send for review"))
    assert "application is sent" in flash_text(browser), main_text(browser)
    assert "Submitted, waiting for review" in browser.find_element(By.ID, "h-status").text
    return application_url


def review_and_approve(browser, live_server: str, group_name: str) -> str:
    """The officer passes every item and approves in one form; returns the seal number."""
    browser.get(f"{live_server}/officer/queue")
    row = browser.find_element(By.XPATH, f"//main//tr[contains(., '{group_name}')]")
    assert TITLE in row.text
    submit(browser, row.find_element(By.CSS_SELECTOR, "a[href^='/officer/applications/']"))
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text.startswith("Review application")
    assert len(browser.find_elements(By.CSS_SELECTOR, "ul.seal-photos img")) == 3

    items = browser.find_elements(By.CSS_SELECTOR, "article.seal-item")
    keys = [item.get_attribute("id") for item in items]
    kinds = [item.find_element(By.TAG_NAME, "h3").text.split(":")[0] for item in items]
    assert kinds == sorted(kinds, key=lambda k: k != "Precondition"), "preconditions first"
    assert "Precondition" in kinds and "Criterion" in kinds
    for key in keys:  # every item and the decision go in one form
        item = browser.find_element(By.ID, key)
        assert "Not assessed yet." in item.text
        name = key.replace("item-", "result-", 1)
        item.find_element(By.CSS_SELECTOR, f"input[name='{name}'][value='pass']").click()
        fill(browser, f"f-note-{key.removeprefix('item-')}", "Checked on the visit.")

    decision = browser.find_element(By.ID, "decision")
    decision.find_element(By.CSS_SELECTOR, "input[name='decision'][value='approve']").click()
    fill(browser, "f-decision_note", "Excellent work; congratulations.")
    submit(browser, button(browser, "Save the review", decision))
    assert "Approved." in flash_text(browser), main_text(browser)
    assert "Approved" in main_text(browser)
    return browser.find_element(
        By.CSS_SELECTOR, "main a[href^='/officer/certificates/']").text.strip()


def test_group_applies_officer_approves_public_sees_the_seal_then_it_is_revoked(
        browser, live_server, session, settings, tmp_path):
    leader = create_user(session, email="leader.kreung@example.com", full_name="Romam Lanh")
    group = create_group(session, leader=leader, name="Kreung Basket Makers",
                         crafts=("basketry",), community="kreung")
    product = create_product(session, group=group, title=TITLE, craft="basketry")
    officer = create_user(session, email="officer@example.com", full_name="Officer Chea",
                          role=["officer"])
    product_url = f"{live_server}/products/{product.id}"

    log_in(browser, live_server, leader.email)
    apply_for_the_seal(browser, live_server, product, tmp_path)
    log_out(browser)

    # Before the decision the product has no badge.
    browser.get(product_url)
    assert browser.find_element(By.ID, "product-h").text == TITLE
    assert not seal_badges(browser)

    log_in(browser, live_server, officer.email)
    number = review_and_approve(browser, live_server, group.name)
    assert number.startswith("SoE-")
    log_out(browser)

    # What a buyer sees, logged out (the cached product page too).
    browser.get(product_url)
    assert [b.text for b in seal_badges(browser)] and \
        seal_badges(browser)[0].text.startswith("Seal of Excellence, valid until")

    browser.get(f"{live_server}/seal/{number}")
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == \
        f"Seal of Excellence {number}"
    assert "Status: Valid" in browser.find_element(By.ID, "h-status").text
    assert not browser.find_elements(By.CSS_SELECTOR, ".verdict")  # no token, no verdict
    assert TITLE in main_text(browser) and group.name in main_text(browser)

    certificate = certificates.get_by_number(session=session, number=number)
    verification = urlsplit(certificates.verification_url(settings, session, certificate))
    assert verification.path == f"/seal/{number}"
    browser.get(f"{live_server}{verification.path}?{verification.query}")
    verdict = browser.find_element(By.CSS_SELECTOR, ".verdict")
    assert "This hang-tag is genuine" in verdict.text
    assert "verdict-ok" in verdict.get_attribute("class")
    # A token that was tampered with is called out.
    browser.get(f"{live_server}{verification.path}?{verification.query[:-4]}AAAA")
    assert "NOT genuine" in browser.find_element(By.CSS_SELECTOR, ".verdict").text

    browser.get(f"{live_server}/seal/{number}/tag")
    assert browser.find_element(By.CSS_SELECTOR, "main.tag .number").text == number
    assert browser.find_element(By.CSS_SELECTOR, "main.tag h1").text == TITLE
    qr = browser.find_element(By.CSS_SELECTOR, "main.tag img")
    assert urlsplit(qr.get_attribute("src")).path == f"/seal/{number}/qr.svg"
    assert image_loaded(browser, qr), "the QR code did not load"
    assert not browser.find_elements(By.CSS_SELECTOR, "[role='alert']")

    log_in(browser, live_server, officer.email)
    browser.get(f"{live_server}/officer/certificates/{number}")
    fill(browser, "f-reason", REVOKE_REASON)
    submit(browser, button(browser, "Revoke"))
    assert "The seal is revoked." in flash_text(browser), main_text(browser)
    assert "Revoked" in main_text(browser)
    log_out(browser)

    browser.get(f"{live_server}/seal/{number}")
    assert "Status: Revoked" in browser.find_element(By.ID, "h-status").text
    status = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby='h-status']").text
    assert "This seal is revoked" in status
    assert f"Reason: {REVOKE_REASON}" in status
    browser.get(f"{live_server}/seal/{number}/tag")  # no hang-tag for a revoked seal
    assert "can no longer be printed" in \
        browser.find_element(By.CSS_SELECTOR, "[role='alert']").text
    assert not browser.find_elements(By.CSS_SELECTOR, "main.tag, img[src*='qr']")
    browser.get(product_url)
    assert browser.find_element(By.ID, "product-h").text == TITLE
    assert not seal_badges(browser), "a revoked seal still shows on the product page"


def test_an_officer_who_is_a_member_of_the_group_gets_403_on_its_application(
        browser, live_server, session, app):
    group = create_group(session, name="Bunong Weavers")
    application = create_application(session, app.state.storage, group=group)
    insider = add_member(session, group, create_user(
        session, email="insider@example.com", role=["officer"], commit=False))

    log_in(browser, live_server, insider.email)
    browser.get(f"{live_server}/officer/applications/{application.id}")
    assert response_status(browser) == 403
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == "Not allowed"
    assert "another officer must review" in main_text(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "input[name='result']")
