"""Development and tests: a local fake Stripe (the ``localstripe`` package) on loopback.

In development, with no Stripe key set, ``create_app`` switches to development values
(``development_settings``) and its lifespan calls ``ensure_running``: it starts localstripe on
``settings.localstripe_port`` unless something already answers there, waits for it, and
registers the webhook (``POST /_config/webhooks/marketplace-<hash of the base URL>``) at
``settings.base_url + /api/v1/webhooks/stripe`` with this instance's webhook secret. The
webhook id and secret are derived from the base URL (and the secret key), so two instances on
two ports each get their own signed events, and a restart or another worker process of the
same instance registers the same webhook again.

``localstripe --port N`` itself listens on every interface and keeps its state in one fixed
file (/tmp/localstripe.pickle) shared by every copy on the machine. So the server is run as
``python -m marketplace.integrations.stripe.localstripe``: the same aiohttp application, bound
to 127.0.0.1 (or to a socket inherited from the parent, as the tests do), with its state in a
file of our choosing, and it exits by itself when its parent process dies.
"""

import argparse
import hashlib
import hmac
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from marketplace.config import Settings

log = logging.getLogger("marketplace.stripe")
DEV_SECRET_KEY = "sk_test_localstripe"  # noqa: S105 - localstripe accepts any sk_ key
DEV_PUBLISHABLE_KEY = "pk_test_localstripe"
WEBHOOK_ID = "marketplace"
WEBHOOK_PATH = "/api/v1/webhooks/stripe"
JS_PATH = "/js.stripe.com/v3/"
START_TIMEOUT = 20.0


def wanted(settings: Settings) -> bool:
    """Development without a Stripe key: use localstripe."""
    return settings.environment == "development" and not settings.stripe_secret_key


def base_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _instance(settings: Settings) -> bytes:
    return settings.base_url.rstrip("/").encode()


def webhook_id(settings: Settings) -> str:
    """This instance's webhook at localstripe, one per base URL: two instances on two ports
    share one localstripe without replacing each other's webhook."""
    return f"{WEBHOOK_ID}-{hashlib.sha256(_instance(settings)).hexdigest()[:16]}"


def webhook_secret(settings: Settings) -> str:
    """The development webhook secret of this instance: derived from the secret key and the
    base URL, so a restart, or every worker process of ``--workers N``, registers the same."""
    digest = hmac.new(settings.secret_key.encode(), b"localstripe-webhook:" + _instance(settings),
                      hashlib.sha256).hexdigest()
    return f"whsec_{digest[:48]}"


def development_settings(settings: Settings) -> Settings:
    """A copy of ``settings`` pointing Stripe at localstripe, with this instance's webhook
    secret."""
    base = base_url(settings.localstripe_port)
    return settings.model_copy(update={
        "stripe_secret_key": DEV_SECRET_KEY,
        "stripe_publishable_key": DEV_PUBLISHABLE_KEY,
        "stripe_webhook_secret": webhook_secret(settings),
        "stripe_api_base": base,
        "stripe_js_url": base + JS_PATH,
    })


def answers(base: str, timeout: float = 1.0) -> bool:
    """True when a localstripe serves its Stripe.js at ``base``."""
    try:
        with urllib.request.urlopen(base + JS_PATH, timeout=timeout) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def spawn(*, state: Path, port: int | None = None, sock: socket.socket | None = None,
          log_path: Path | None = None) -> subprocess.Popen:
    """Start the server process on 127.0.0.1:``port``, or on the already bound ``sock``."""
    args = [sys.executable, "-m", __name__, "--state", str(state)]
    pass_fds: tuple[int, ...] = ()
    if sock is not None:
        args += ["--fd", str(sock.fileno())]
        pass_fds = (sock.fileno(),)
    else:
        args += ["--port", str(port)]
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=output,  # noqa: S603
                                stderr=subprocess.STDOUT, pass_fds=pass_fds,
                                start_new_session=True)
    finally:
        if log_path:
            output.close()


def wait_until_up(base: str, process: subprocess.Popen | None = None,
                  timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not answers(base):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"localstripe exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"localstripe did not answer at {base} within {timeout:.0f}s")
        time.sleep(0.05)


def register_webhook(base: str, url: str, secret: str, webhook_id: str = WEBHOOK_ID) -> None:
    """Have localstripe send its (signed) events to ``url``."""
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        f"{base}/_config/webhooks/{webhook_id}",
        data=json.dumps({"url": url, "secret": secret}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        if response.status != 200:
            raise RuntimeError(f"localstripe refused the webhook: {response.status}")


def ensure_running(settings: Settings) -> subprocess.Popen | None:
    """Start localstripe unless one answers on its port; register our webhook. Returns the
    process when this call started it (stop it with ``stop``)."""
    base = settings.stripe_api_base or base_url(settings.localstripe_port)
    process = None
    if not answers(base):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        process = spawn(port=settings.localstripe_port,
                        state=settings.var_dir / "localstripe.pickle",
                        log_path=settings.var_dir / "localstripe.log")
        try:
            wait_until_up(base, process)
        except RuntimeError:
            stop(process)
            raise
        log.info("localstripe started at %s (log: %s)", base,
                 settings.var_dir / "localstripe.log")
    register_webhook(base, settings.base_url.rstrip("/") + WEBHOOK_PATH,
                     settings.stripe_webhook_secret or "", webhook_id(settings))
    return process


def start_for_development(settings: Settings) -> subprocess.Popen | None:
    """``ensure_running``, but a failure is only logged: the site works, card payments fail
    (GatewayUnavailable) until localstripe runs."""
    try:
        return ensure_running(settings)
    except (RuntimeError, OSError) as exc:
        log.warning("localstripe could not be started (%s): card payments will fail", exc)
        return None


def stop(process: subprocess.Popen | None, timeout: float = 5.0) -> None:
    """Terminate a process started by ``spawn`` (kill it if it does not stop)."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


# --- the server process ---------------------------------------------------------------------

def _use_state_file(store, state: Path) -> None:
    """Load and save localstripe's store in ``state`` instead of /tmp/localstripe.pickle."""
    import pickle

    if state.exists():
        try:
            with state.open("rb") as fh:
                saved = pickle.load(fh)  # noqa: S301 - our own file
            store.clear()
            store.update(saved)
        except Exception:  # noqa: BLE001 - an unreadable file: start empty
            logging.getLogger("localstripe").warning("ignoring unreadable state %s", state)

    def dump_to_disk() -> None:
        tmp = state.with_name(state.name + ".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(dict(store), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, state)

    store.dump_to_disk = dump_to_disk


def serve(*, state: Path, port: int | None = None, fd: int | None = None) -> None:
    import asyncio

    from aiohttp import web
    from localstripe.resources import store
    from localstripe.server import app

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    _use_state_file(store, state)
    parent = os.getppid()
    tasks = []

    async def watch_parent(_app) -> None:
        async def watch() -> None:
            while True:
                await asyncio.sleep(1)
                if os.getppid() != parent:  # the parent died: nobody will stop us
                    os._exit(0)

        tasks.append(asyncio.ensure_future(watch()))

    app.on_startup.append(watch_parent)
    sock = socket.socket(fileno=fd) if fd is not None else \
        socket.create_server(("127.0.0.1", port))
    web.run_app(app, sock=sock, print=None,
                access_log=logging.getLogger("aiohttp.access"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="localstripe on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--fd", type=int, default=None, help="an inherited, bound socket")
    parser.add_argument("--state", type=Path, required=True, help="where to keep its data")
    args = parser.parse_args(argv)
    serve(state=args.state, port=args.port, fd=args.fd)


if __name__ == "__main__":
    main()
