"""Browser fixtures: the app on a real port (uvicorn in a thread) and headless Chromium.

Debian's chromium and chromedriver are used as installed; Selenium Manager never runs
(the driver path is given explicitly), so nothing is downloaded. Without them the tests
are skipped locally and fail in CI (``CI=true``), so a broken CI image cannot go unnoticed.
"""

import os
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
import uvicorn

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
SERVER_START_TIMEOUT = 15.0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own server
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def live_server(app):
    """The session's app served by uvicorn on 127.0.0.1 and a free port; yields the base URL.

    The app's ``settings.base_url`` stays "http://testserver", so take the path from an
    email link (``tests.helpers.link_in``) and open ``live_server + path``.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # port 0: the OS picks a free port, and we keep it bound
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="live-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(f"{base_url}/healthz"):
            if not thread.is_alive():
                pytest.fail("the live server thread stopped before /healthz answered")
            if time.monotonic() > deadline:
                pytest.fail(f"the live server did not answer {base_url}/healthz "
                            f"within {SERVER_START_TIMEOUT:.0f}s")
            time.sleep(0.05)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


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
