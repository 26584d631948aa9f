"""One answer to "who is the client": X-Forwarded-For counts only from trusted proxies."""

from types import SimpleNamespace

import pytest
from starlette.requests import Request

from marketplace.config import Settings
from marketplace.core.clientip import client_ip, uvicorn_proxy_options


def request(peer: str, forwarded: list[str] = (), trusted: str = "") -> Request:
    app = SimpleNamespace(state=SimpleNamespace(settings=Settings(trusted_proxies=trusted)))
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers,
                    "client": (peer, 1234), "app": app})


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip(request("198.51.100.1", ["203.0.113.9"])) == "198.51.100.1"
    assert client_ip(request("127.0.0.1", ["203.0.113.9"])) == "127.0.0.1"


def test_a_trusted_proxy_names_the_client():
    assert client_ip(request("10.0.0.2", ["203.0.113.9"], "10.0.0.0/8")) == "203.0.113.9"


def test_the_rightmost_untrusted_address_wins_so_a_client_cannot_forge_one():
    # The client sent "X-Forwarded-For: 1.1.1.1"; our proxies appended the real addresses.
    forged = request("10.0.0.2", ["1.1.1.1, 203.0.113.9, 10.0.0.7"], "10.0.0.0/8,127.0.0.1")
    assert client_ip(forged) == "203.0.113.9"
    several_headers = request("10.0.0.2", ["1.1.1.1", "203.0.113.9"], "10.0.0.0/8")
    assert client_ip(several_headers) == "203.0.113.9"


def test_an_untrusted_peer_cannot_use_the_header():
    assert client_ip(request("192.0.2.5", ["203.0.113.9"], "10.0.0.0/8")) == "192.0.2.5"


def test_garbage_in_the_header_stops_the_walk():
    assert client_ip(request("10.0.0.2", ["<script>, 10.0.0.3"], "10.0.0.0/8")) == "10.0.0.3"
    assert client_ip(request("10.0.0.2", [""], "10.0.0.0/8")) == "10.0.0.2"


def test_ipv6_and_mapped_addresses_are_normalised():
    assert client_ip(request("::1", ["2001:DB8::0:1"], "::1")) == "2001:db8::1"
    assert client_ip(request("::ffff:192.0.2.8")) == "192.0.2.8"


def test_a_bad_trusted_proxies_setting_is_refused_at_start():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.0/8, not-an-address")


def test_uvicorn_trusts_exactly_the_configured_proxies():
    assert uvicorn_proxy_options(Settings(trusted_proxies="")) == {"proxy_headers": False}
    assert uvicorn_proxy_options(Settings(trusted_proxies="10.0.0.0/8, 192.0.2.1")) == {
        "proxy_headers": True, "forwarded_allow_ips": "10.0.0.0/8,192.0.2.1"}


def test_serve_passes_the_setting_to_uvicorn(monkeypatch, cli_env):
    import uvicorn
    from typer.testing import CliRunner

    from marketplace.cli import app

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setenv("MARKETPLACE_ENVIRONMENT", "test")  # no development extras
    assert CliRunner().invoke(app, ["serve", "--no-worker"]).exit_code == 0
    # default: X-Forwarded-For from a proxy on this machine only
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "127.0.0.1,::1"
    monkeypatch.setenv("MARKETPLACE_TRUSTED_PROXIES", "")
    from marketplace.config import get_settings

    get_settings.cache_clear()
    assert CliRunner().invoke(app, ["serve", "--no-worker"]).exit_code == 0
    assert seen["proxy_headers"] is False  # empty: X-Forwarded-For from nobody
    monkeypatch.setenv("MARKETPLACE_TRUSTED_PROXIES", "10.0.0.0/8")
    get_settings.cache_clear()
    assert CliRunner().invoke(app, ["serve", "--no-worker"]).exit_code == 0
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "10.0.0.0/8"
