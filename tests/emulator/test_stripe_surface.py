"""The `stripe` surface: the provider's address serves only what api.stripe.com serves."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient, RunningEmulator, running_emulator

EMULATOR_ONLY = [
    ("POST", "/v1/apps/uploads"),
    ("GET", "/v1/apps/uploads"),
    ("GET", "/v1/apps/uploads/appupl_123"),
    ("GET", "/v1/apps/apps"),
    ("GET", "/v1/apps/apps/app_123"),
    ("POST", "/v1/apps/apps/app_123/submit_for_review"),
    ("GET", "/_emulator/state"),
    ("POST", "/_emulator/reset"),
    ("GET", "/_emulator/dashboard"),
    ("GET", "/openapi.json"),
]


@pytest.fixture(scope="module")
def stripe_surface() -> Iterator[RunningEmulator]:
    with running_emulator(rate_limit=False, surface="stripe") as emulator:
        yield emulator


@pytest.mark.parametrize(("method", "path"), EMULATOR_ONLY)
def test_emulator_only_routes_answer_stripes_404(stripe_surface: RunningEmulator, method: str, path: str) -> None:
    key = stripe_surface.keys["default"]["test"]
    with httpx.Client(base_url=stripe_surface.url) as http:
        response = http.request(method, path, auth=(key, ""))
    assert response.status_code == 404
    assert response.headers["Request-Id"].startswith("req_")
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"Unrecognized request URL ({method}: {path}).")


def test_the_public_address_serves_the_install_and_secret_apis(stripe_surface: RunningEmulator) -> None:
    sdk = stripe.StripeClient(stripe_surface.keys["default"]["test"], base_addresses={"api": stripe_surface.url})
    assert sdk.v1.apps.installs.list().data == []
    secret = sdk.v1.apps.secrets.create({"name": "token", "payload": "x", "scope": {"type": "account"}})
    assert secret.name == "token"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk.v1.apps.installs.create({"app": "app_doesnotexist", "channel": "private_test"})
    assert missing.value.http_status == 404


def test_the_internal_address_serves_uploads_and_the_control_plane(stripe_surface: RunningEmulator) -> None:
    assert stripe_surface.internal_url != stripe_surface.url
    with ControlClient(stripe_surface.internal_url) as control:
        app = control.dashboard_app("com.example.surface")
        assert app["id"].startswith("app_") and app["app_id"] == "com.example.surface"
        assert control.dashboard_app("com.example.surface")["id"] == app["id"]
    key = stripe_surface.keys["default"]["test"]
    with httpx.Client(base_url=stripe_surface.internal_url) as http:
        listed = http.get("/v1/apps/uploads", params={"app": app["id"]}, auth=(key, ""))
    assert listed.status_code == 200 and listed.json()["data"] == []


def test_requests_are_logged_with_the_address_they_reached(stripe_surface: RunningEmulator) -> None:
    key = stripe_surface.keys["default"]["test"]
    with httpx.Client(base_url=stripe_surface.url) as http:
        http.get("/v1/apps/uploads", auth=(key, ""))
    with ControlClient(stripe_surface.internal_url) as control:
        entry = [found for found in control.requests() if found["path"] == "/v1/apps/uploads"][-1]
    assert entry["address"] == "public" and entry["status"] == 404
