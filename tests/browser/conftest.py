"""Browser fixtures: headless Chromium (the live server is in tests/conftest.py).

Debian's chromium and chromedriver are used as installed; Selenium Manager never runs
(the driver path is given explicitly), so nothing is downloaded. Without them the tests
are skipped locally and fail in CI (``CI=true``), so a broken CI image cannot go unnoticed.
"""

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE_WINDOW = "412,915"
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _missing_browser() -> str | None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER)
               if not (os.path.isfile(path) and os.access(path, os.X_OK))]
    return ", ".join(missing) or None


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """A fresh headless Chromium (phone-sized window, new profile) for one test."""
    missing = _missing_browser()
    if missing:
        message = (f"browser tests need Debian's chromium and chromedriver; missing: {missing} "
                   "(apt-get install chromium chromium-driver)")
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # belt and braces: Selenium Manager never downloads
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chrome-profile'}")
    options.add_argument(f"--window-size={PHONE_WINDOW}")
    # English unless a test switches: the app negotiates the locale from Accept-Language.
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})

    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
