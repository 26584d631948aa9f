"""Driving headless Chromium (the ``browser`` fixture) with explicit waits only: fill a
field, submit and wait for the next page, log in and out, read the flash and the status."""

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import DEFAULT_PASSWORD, png_bytes

WAIT_SECONDS = 10
LOGOUT_BUTTON = (By.CSS_SELECTOR, 'header form[action="/auth/logout"] button[type="submit"]')


def wait(browser):
    return WebDriverWait(browser, WAIT_SECONDS)


def _replaced(old_html) -> bool:
    try:
        old_html.is_enabled()
    except StaleElementReferenceException:
        return True
    return False


def submit(browser, button) -> None:
    """Click a submit button and wait until the browser has loaded the next page.

    While Chromium swaps documents, chromedriver may answer a call on the old page with a
    generic "Node with given id does not belong to the document" instead of a stale element:
    such answers are retried rather than failing the test.
    """
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(browser, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
        lambda b: _replaced(page)
        and b.execute_script("return document.readyState") == "complete")


def fill(browser, field_id: str, value: str) -> None:
    field = browser.find_element(By.ID, field_id)
    field.clear()
    field.send_keys(value)


def log_in(browser, live_server: str, email: str, password: str = DEFAULT_PASSWORD) -> None:
    browser.get(f"{live_server}/auth/login")
    fill(browser, "f-email", email)
    fill(browser, "f-password", password)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type='submit']"))
    assert browser.find_elements(*LOGOUT_BUTTON), \
        f"{email} is not logged in: {flash_text(browser) or browser.current_url}"


def log_out(browser) -> None:
    submit(browser, browser.find_element(*LOGOUT_BUTTON))
    assert not browser.find_elements(*LOGOUT_BUTTON)


def button(browser, label: str, scope=None):
    """The submit button whose visible text is ``label`` (inside ``scope`` if given)."""
    root = scope or browser.find_element(By.ID, "main")
    return root.find_element(
        By.XPATH, f".//button[@type='submit'][normalize-space()='{label}']")


def flash_text(browser) -> str:
    return " ".join(f.text for f in browser.find_elements(By.CSS_SELECTOR, "main .flash"))


def response_status(browser) -> int:
    """The HTTP status of the page the browser shows (Navigation Timing Level 2)."""
    return browser.execute_script(
        "return performance.getEntriesByType('navigation')[0].responseStatus")


def image_loaded(browser, image) -> bool:
    """Wait until ``image`` has loaded and return whether it decoded to real pixels."""
    wait(browser).until(lambda b: b.execute_script("return arguments[0].complete", image))
    return browser.execute_script("return arguments[0].naturalWidth", image) > 0


def write_photo(tmp_path, name: str, width: int = 800, height: int = 600,
                color=(180, 90, 40)) -> str:
    path = tmp_path / name
    path.write_bytes(png_bytes(width, height, color=color))
    return str(path)


def pay_by_card(browser, number: str) -> None:
    """Type the card into localstripe's fake Stripe.js element and press Pay."""
    button = browser.find_element(By.ID, "pay-button")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: button.is_enabled())  # Stripe.js mounted
    typed = {"number": number, "exp_month": "12", "exp_year": "34", "cvc": "123",
             "postal_code": "12000"}
    for placeholder, value in typed.items():
        browser.find_element(By.CSS_SELECTOR,
                             f'#card-element input[placeholder="{placeholder}"]').send_keys(value)
    submit(browser, button)
