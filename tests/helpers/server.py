"""An app on a real port: ``served(app)`` runs it under uvicorn in a thread (the
``live_server`` fixture is the session's app served this way), ``answers(url)`` probes it."""

import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
import uvicorn

SERVER_START_TIMEOUT = 15.0


@contextmanager
def served(app, *, name: str = "live-server"):
    """``app`` served by uvicorn (in a thread, with its lifespan) on 127.0.0.1 and a free
    port, with the proxy options ``marketplace serve`` gives uvicorn; yields the base URL.

    For the session's app use the ``live_server`` fixture; this is for an app of the test's
    own (other settings, a slowed gateway)."""
    from marketplace.core.clientip import uvicorn_proxy_options

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # port 0: the OS picks a free port, and we keep it bound
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            **uvicorn_proxy_options(app.state.settings))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name,
                              daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not answers(f"{base_url}/healthz"):
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


def answers(url: str) -> bool:
    """True when ``url`` answers 200 within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own server
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
