"""What a person notices in a real browser: signing up, verifying, logging in and out,
switching to Khmer, and forms that keep what was typed when something is wrong."""

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.factories import DEFAULT_PASSWORD, create_user
from tests.helpers import delivered_mail, link_in
from tests.helpers.browser import LOGOUT_BUTTON, fill, submit, wait

pytestmark = pytest.mark.browser

KHMER = re.compile("[\u1780-\u17ff]")
LOGIN_LINK = (By.CSS_SELECTOR, 'header a[href="/auth/login"]')


def main_button(browser):
    return browser.find_element(By.CSS_SELECTOR, "main form button[type='submit']")


def html_lang(browser) -> str:
    return browser.find_element(By.TAG_NAME, "html").get_attribute("lang")


def test_sign_up_verify_log_in_switch_to_khmer_and_log_out(browser, live_server, engine,
                                                          settings):
    email = "dara.browser@example.com"

    browser.get(f"{live_server}/auth/signup")
    fill(browser, "f-full_name", "Dara Sok")
    fill(browser, "f-email", email)
    fill(browser, "f-password", "a long passphrase")
    submit(browser, main_button(browser))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Check your email"
    assert email in browser.find_element(By.ID, "main").text

    # The link in the .eml points at settings.base_url; open its path on the live server.
    messages = [m for m in delivered_mail(engine, settings) if m["To"] == email]
    assert len(messages) == 1, [m["To"] for m in messages]
    browser.get(live_server + link_in(messages[0], "/auth/verify/"))
    wait(browser).until(EC.url_to_be(f"{live_server}/auth/login"))
    assert "verified" in browser.find_element(By.CSS_SELECTOR, ".flash-success").text

    fill(browser, "f-email", email)
    fill(browser, "f-password", "a long passphrase")
    submit(browser, main_button(browser))
    assert browser.current_url == f"{live_server}/"
    assert browser.find_elements(*LOGOUT_BUTTON), "no Log out button after logging in"
    assert not browser.find_elements(*LOGIN_LINK)
    assert html_lang(browser) == "en"

    submit(browser, browser.find_element(
        By.CSS_SELECTOR, "header form.lang-switch button[value='km']"))
    assert browser.current_url == f"{live_server}/"
    assert html_lang(browser) == "km"
    # The switch button says "ខ្មែរ" in every language, so check the page's own text:
    # the home page heading ("Handicrafts from Cambodia, bought from the people who make them").
    heading = browser.find_element(By.CSS_SELECTOR, "main h1").text
    assert KHMER.search(heading), f"the home page heading is not in Khmer: {heading!r}"

    # Its label is translated, so find Log out by its form's action.
    submit(browser, browser.find_element(*LOGOUT_BUTTON))
    assert browser.current_url == f"{live_server}/"
    assert browser.find_element(*LOGIN_LINK).is_displayed()
    assert not browser.find_elements(*LOGOUT_BUTTON)
    assert html_lang(browser) == "km", "the language choice should outlive the session"


def test_sign_up_with_a_bad_email_keeps_the_name_and_explains(browser, live_server):
    browser.get(f"{live_server}/auth/signup")
    fill(browser, "f-full_name", "Sreyneang Kim")
    fill(browser, "f-email", "not-an-email")
    fill(browser, "f-password", "a long passphrase")
    submit(browser, main_button(browser))

    assert browser.find_element(By.ID, "f-full_name").get_attribute("value") == "Sreyneang Kim"
    email_input = browser.find_element(By.ID, "f-email")
    assert email_input.get_attribute("value") == "not-an-email"
    assert email_input.get_attribute("aria-invalid") == "true"
    assert email_input.get_attribute("aria-describedby") == "e-email"
    error = browser.find_element(By.ID, "e-email")
    assert error.is_displayed()
    assert error.text == "Enter a valid email address."
    # Next to the email field: in the same field group, right after its input.
    assert error.find_element(By.XPATH, "preceding-sibling::input[1]").get_attribute("id") \
        == "f-email"
    assert browser.find_element(By.ID, "f-password").get_attribute("value") == ""


def test_log_in_with_a_wrong_password_shows_the_error_and_keeps_the_email(
        browser, live_server, session):
    user = create_user(session, email="chantha@example.com")

    browser.get(f"{live_server}/auth/login")
    fill(browser, "f-email", user.email)
    fill(browser, "f-password", DEFAULT_PASSWORD + " but wrong")
    submit(browser, main_button(browser))

    error = browser.find_element(By.CSS_SELECTOR, "main .form-error[role='alert']")
    assert error.is_displayed()
    assert error.text == "The email address or password is not correct."
    assert browser.find_element(By.ID, "f-email").get_attribute("value") == user.email
    assert browser.find_element(By.ID, "f-password").get_attribute("value") == ""
    assert browser.find_elements(*LOGIN_LINK), "a failed log-in must not sign the user in"
    assert not browser.find_elements(*LOGOUT_BUTTON)
