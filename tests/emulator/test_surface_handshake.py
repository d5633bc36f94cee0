"""The provider tells the emulator from Stripe by the emulator's handshake alone, over real sockets: the emulator's
full surface is the emulator; its Stripe surface, an HTTPS gateway in front of it and anything else are Stripe's
public surface (api.stripe.com itself is never asked: tests/unit/test_provider_logic.py)."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from pulumi_stripe_apps import http, surface
from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.gone import key_account
from pulumi_stripe_apps.resources.app_installation import AppInstallationProvider
from pulumi_stripe_apps.settings import load_settings
from pulumi_stripe_apps.stripe_api import CLIENTS
from stripe_apps_emulator.testing import ControlClient, RunningEmulator, running_emulator
from tests.support.proxy import https_gateway


def handshakes(control: ControlClient) -> list[dict[str, object]]:
    return [entry for entry in control.requests() if entry["path"] == surface.IDENTITY_PATH]


def test_the_emulator_is_recognised_by_its_handshake_once_per_process(
    server: RunningEmulator, control: ControlClient
) -> None:
    control.clear_requests()
    settings = load_settings({"stripe-apps:apiBase": server.url}.get)
    assert (settings.surface, settings.uploader, settings.uploader_problem()) == ("full", "api", None)
    assert load_settings({"stripe-apps:apiBase": server.url + "/"}.get).surface == "full"
    assert len(handshakes(control)) == 1  # the answer is kept for the process


def test_the_emulators_stripe_surface_is_stripes_public_surface() -> None:
    with running_emulator(surface="stripe") as emulator, ControlClient(emulator.internal_url) as control:
        settings = load_settings({"stripe-apps:apiBase": emulator.url, "stripe-apps:uploader": "api"}.get)
        assert settings.surface == "public"
        assert "did not answer as the emulator" in (settings.uploader_problem() or "")
        (asked,) = handshakes(control)
        assert (asked["address"], asked["status"]) == ("public", 404)  # Stripe's answer, nothing else was sent
        assert [entry["address"] for entry in control.requests()] == ["public", "internal"]  # and this read


@pytest.fixture
def trusted_gateway_ca(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The provider process trusts the gateway's certificate authority, as a company's machines do."""
    http._tls_context_once.cache_clear()
    yield
    http._tls_context_once.cache_clear()
    CLIENTS.close()


def test_an_https_gateway_in_front_of_the_emulator_is_stripes_public_surface(
    server: RunningEmulator,
    control: ControlClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    trusted_gateway_ca: None,
) -> None:
    with https_gateway(server.url, tmp_path / "gateway") as gateway:
        monkeypatch.setenv("SSL_CERT_FILE", str(gateway.ca_file))
        config = {"stripe-apps:apiBase": gateway.url, "stripe-apps:liveApiKey": server.keys["default"]["live"]}
        settings = load_settings(config.get)
        assert (settings.surface, settings.uploader) == ("public", "cli")
        # The surface decides what preview refuses: no Marketplace review through Stripe's surface.
        provider = AppInstallationProvider()
        provider.configure(ConfigureRequest(Config(config, "p")))
        news = {"app": "app_1", "version": "1.0.0", "mode": "live", "distribution": "public"}
        reasons = [failure.reason for failure in provider.check({}, news).failures]
        assert any("no public Stripe API" in reason for reason in reasons), reasons
        # Stripe's API itself is reached through the gateway (TLS trusted through SSL_CERT_FILE).
        client = CLIENTS.get(gateway.url, server.keys["default"]["live"])
        assert key_account(client) == server.keys["default"]["account"]
        assert gateway.seen[0] == surface.IDENTITY_PATH and gateway.seen[1:] == ["/v1/account"]


def test_an_address_nothing_answers_is_not_guessed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        settings = load_settings({"stripe-apps:apiBase": f"http://127.0.0.1:{port}"}.get)
        with pytest.raises(StripeAppsError) as refused:
            _ = settings.surface
    assert "could not be reached" in str(refused.value)
    assert "Fix: start the emulator" in str(refused.value)


@dataclass
class ForwardProxy:
    """A plain HTTP forward proxy on loopback, as a company's network names in HTTP_PROXY."""

    url: str
    seen: list[tuple[str, str | None]] = field(default_factory=list)  # request target, Proxy-Authorization


@contextmanager
def forward_proxy() -> Iterator[ForwardProxy]:
    proxy = ForwardProxy("")

    class Forward(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            proxy.seen.append((self.path, self.headers.get("Proxy-Authorization")))
            upstream = httpx.get(self.path, trust_env=False)
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", upstream.headers.get("content-type", "application/json"))
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    proxy.url = f"http://user:p%40ss@127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()


def test_the_handshake_goes_through_the_proxy_the_environment_names(
    server: RunningEmulator, control: ControlClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As every API request does (HTTP_PROXY, NO_PROXY), so a network that only lets the proxy out still works."""
    for name in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    surface.forget()
    with forward_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        assert load_settings({"stripe-apps:apiBase": server.url}.get).surface == "full"
        surface.forget()
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert load_settings({"stripe-apps:apiBase": server.url}.get).surface == "full"
    expected = "Basic " + base64.b64encode(b"user:p@ss").decode()
    assert proxy.seen == [(server.url + surface.IDENTITY_PATH, expected)]  # the second went direct (NO_PROXY)
    assert len(handshakes(control)) == 2
