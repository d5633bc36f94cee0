"""`GET /_emulator/identity`: the emulator names itself where its full surface is served, and only there."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata

import httpx
import pytest

from stripe_apps_emulator.testing import ControlClient, RunningEmulator, running_emulator

IDENTITY = {
    "object": "emulator",
    "name": "stripe-apps-emulator",
    "version": metadata.version("pulumi-stripe-apps"),
    "surface": "full",
    "api_version": "2026-09-30.endive",
}


@pytest.fixture(scope="module")
def stripe_surface() -> Iterator[RunningEmulator]:
    with running_emulator(rate_limit=False, surface="stripe") as emulator:
        yield emulator


def test_the_full_surface_names_itself_without_a_key(http: httpx.Client, control: ControlClient) -> None:
    response = http.get("/_emulator/identity")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["Request-Id"].startswith("req_")
    assert response.json() == IDENTITY
    entry = [found for found in control.requests() if found["path"] == "/_emulator/identity"][-1]
    assert (entry["status"], entry["fault"], entry["account"]) == (200, None, None)


def test_the_handshake_draws_no_fault_and_no_rate_limit_token(
    http: httpx.Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    control.set_faults(3, [{"route": "* *", "kind": "error_before"}])
    assert http.get("/_emulator/identity").json() == IDENTITY
    assert control.fault_log() == []
    # The same rule fires on an API route: the handshake was exempt, not the rule idle.
    assert http.get("/v1/apps/installs", auth=(keys["default"]["test"], "")).status_code == 500
    assert [entry["path"] for entry in control.fault_log()] == ["/v1/apps/installs"]
    control.clear_faults()

    control.rate_limits(enabled=True, test=1, live=1)
    limited = http.get("/v1/apps/installs", auth=(keys["default"]["test"], ""))
    while limited.status_code != 429:
        limited = http.get("/v1/apps/installs", auth=(keys["default"]["test"], ""))
    assert [http.get("/_emulator/identity").status_code for _ in range(5)] == [200] * 5


def test_the_stripe_surfaces_internal_address_names_itself(stripe_surface: RunningEmulator) -> None:
    response = httpx.get(stripe_surface.internal_url + "/_emulator/identity")
    assert response.status_code == 200
    assert response.json() == IDENTITY


def test_the_stripe_surfaces_public_address_answers_stripes_404(stripe_surface: RunningEmulator) -> None:
    with ControlClient(stripe_surface.internal_url) as control:
        control.reset()
        control.set_faults(5, [{"route": "* *", "kind": "error_before"}])
        response = httpx.get(stripe_surface.url + "/_emulator/identity")
        fault_log = control.fault_log()
        entry = [found for found in control.requests() if found["path"] == "/_emulator/identity"][-1]
        control.clear_faults()
    assert response.status_code == 404
    assert response.headers["Request-Id"].startswith("req_")
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"] == (
        "Unrecognized request URL (GET: /_emulator/identity). Please see https://docs.stripe.com/api "
        "or we can help at https://support.stripe.com/."
    )
    assert "code" not in error and "doc_url" not in error and "param" not in error
    assert fault_log == []
    assert (entry["address"], entry["status"], entry["fault"]) == ("public", 404, None)
