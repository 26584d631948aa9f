"""``marketplace serve`` as ``make run`` starts it: in development it also runs the background
worker as a child process (unpaid holds released, emails written) and stops it on exit, and
its links follow the port it serves on."""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from marketplace.certification.service import review
from marketplace.media.storage import LocalStorage
from marketplace.models import Order, OutboxMessage, utcnow
from tests.factories import create_application, create_product, create_user, pass_everything
from tests.helpers import wait_for
from tests.helpers.payments import place
from tests.helpers.server import answers

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid`` with their command lines (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(entry.name)] = cmdline
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def serve(settings, var_dir: Path, environment: str, *options: str):
    """``marketplace serve`` in its own process, on a free port, against the test database."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("MARKETPLACE_")}
    env.update(MARKETPLACE_ENVIRONMENT=environment, MARKETPLACE_DATABASE_URL=settings.database_url,
               MARKETPLACE_SECRET_KEY=settings.secret_key, MARKETPLACE_VAR_DIR=str(var_dir),
               MARKETPLACE_LOCALSTRIPE_PORT=str(settings.localstripe_port),
               MARKETPLACE_LOG_LEVEL="WARNING")
    log = (var_dir / "serve.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "marketplace.cli", "serve", "--port", str(port), *options],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base_url = f"http://127.0.0.1:{port}"
    if not wait_for(lambda: answers(f"{base_url}/healthz") or process.poll() is not None,
                    timeout=20):
        process.kill()
    if process.poll() is not None:
        pytest.fail((var_dir / "serve.log").read_text(errors="replace")[-3000:])
    return process, base_url


def stop(process, var_dir: Path) -> None:
    process.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("serve did not stop on Ctrl-C\n"
                    + (var_dir / "serve.log").read_text(errors="replace")[-3000:])


def workers_of(process) -> list[int]:
    return [pid for pid, cmd in _children(process.pid).items() if "marketplace.cli worker" in cmd]


def fresh(session) -> None:
    session.rollback()
    session.expire_all()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_serve_in_development_runs_the_worker_and_stops_it(session, settings, localstripe,
                                                           tmp_path):
    officer = create_user(session, role=["officer"])
    application = create_application(session, LocalStorage(tmp_path / "media"))
    pass_everything(session, officer, application)
    certificate = review.decide(session=session, settings=settings, actor=officer,
                                application=application, decision="approve")
    session.add(OutboxMessage(payload={"to": "maker@example.com", "subject": "Your parcel",
                                       "body": "Hello"}, available_at=utcnow()))
    session.commit()
    order = place(session, settings, [(create_product(session, stock_on_hand=2), 1)])
    order.reserved_until = utcnow() - timedelta(seconds=1)  # an unpaid hold past its time
    session.add(order)
    session.commit()

    process, base_url = serve(settings, tmp_path, "development")  # no option: as in make run
    try:
        workers = workers_of(process)
        assert len(workers) == 1, _children(process.pid)
        mail = tmp_path / "mail"
        assert wait_for(lambda: any(b"Subject: Your parcel" in eml.read_bytes()
                                    for eml in mail.glob("*.eml")), timeout=20), \
            "the worker wrote no email"

        def released():
            fresh(session)
            return session.get(Order, order.id).status == "cancelled"

        assert wait_for(released, timeout=20), "the worker did not release the unpaid hold"
        # Links and QR codes follow the port served (and so does the localstripe webhook).
        public = httpx.get(f"{base_url}/api/v1/certifications/{certificate.number}").json()
        assert public["verification_url"].startswith(f"{base_url}/seal/")
    finally:
        stop(process, tmp_path)
    assert process.returncode is not None
    assert wait_for(lambda: not any(_alive(pid) for pid in workers), timeout=15), \
        "the worker outlived serve"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize(("environment", "options"), [("development", ("--no-worker",)),
                                                      ("test", ())])
def test_serve_without_the_worker(environment, options, settings, localstripe, tmp_path):
    process, _base_url = serve(settings, tmp_path, environment, *options)
    try:
        time.sleep(0.5)
        assert workers_of(process) == []
    finally:
        stop(process, tmp_path)


def test_make_run_serves_with_the_worker():
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "marketplace serve" in run and "--worker" in run
