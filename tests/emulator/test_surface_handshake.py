"""The provider tells the emulator from Stripe by the emulator's handshake alone, over real sockets: the emulator's
full surface is the emulator; its Stripe surface, an HTTPS gateway in front of it and anything else are Stripe's
public surface (api.stripe.com itself is never asked: tests/unit/test_provider_logic.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

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
