"""Stripe's rate limits over a real socket: per account, per endpoint (every id of a route is one endpoint), and
requests on a connected account charged to the key's account. Limits of 1 or 2 per second keep each assertion
about requests a second apart or less: no test waits for a bucket to refill (tests/unit/test_rate_limits.py does,
on a clock it moves)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from stripe_apps_emulator.testing import ControlClient

ROOMY = 1000  # a limit no test reaches


def until_limited(http: httpx.Client, key: str, path: str, headers: dict[str, str] | None = None) -> int:
    """Requests to `path` until one is rate limited; how many were admitted first."""
    for admitted in range(20):
        response = http.get(path, auth=(key, ""), headers=headers)
        if response.status_code == 429:
            assert response.json()["error"]["code"] == "rate_limit"
            assert "Stripe-Should-Retry" not in response.headers
            return admitted
    raise AssertionError(f"20 requests to {path} and none rate limited")


def last_entry(control: ControlClient) -> dict[str, Any]:
    return control.requests()[-1]


def test_each_endpoint_has_its_own_limit_shared_by_every_id(
    http: httpx.Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    assert control.rate_limits(enabled=True, live=ROOMY, test=ROOMY, endpoint=2)["endpoint"] == 2
    live = keys["default"]["live"]
    assert until_limited(http, live, "/v1/apps/installs/appinst_missing_1") >= 2  # 404s: each takes its token
    assert last_entry(control)["rate_limit"] == "endpoint"
    assert http.get("/v1/apps/installs/appinst_missing_2", auth=(live, "")).status_code == 429  # another id, same
    assert http.get("/v1/apps/installs", auth=(live, "")).status_code == 200  # another endpoint: its own budget
    assert last_entry(control)["rate_limit"] is None


def test_endpoint_requests_count_against_the_global_limit(
    http: httpx.Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    control.rate_limits(enabled=True, live=ROOMY, test=1, endpoint=ROOMY)
    test = keys["default"]["test"]
    assert http.get("/v1/apps/installs", auth=(test, "")).status_code == 200
    assert http.get("/v1/account", auth=(test, "")).status_code == 429  # a fresh endpoint, the account's budget spent
    assert last_entry(control)["rate_limit"] == "global"
    assert http.get("/v1/account", auth=(keys["default"]["live"], "")).status_code == 200  # live: another budget


def test_requests_on_a_connected_account_are_charged_to_the_keys_account(
    http: httpx.Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    connected = control.create_account(connected_to=keys["default"]["account"])
    control.rate_limits(enabled=True, live=ROOMY, test=1, endpoint=ROOMY)
    platform = keys["default"]["test"]
    on_connected = {"Stripe-Account": connected["account"]}
    assert http.get("/v1/apps/installs", auth=(platform, ""), headers=on_connected).status_code == 200
    assert http.get("/v1/account", auth=(platform, "")).status_code == 429  # the platform's own request: spent
    assert http.get("/v1/account", auth=(platform, ""), headers=on_connected).status_code == 429
    assert http.get("/v1/account", auth=(connected["test"], "")).status_code == 200  # the connected account's budget


def test_the_control_plane_sets_the_endpoint_limit_and_reset_restores_stripes(
    http: httpx.Client, control: ControlClient
) -> None:
    assert control.rate_limits(enabled=True, endpoint=7) == {"enabled": True, "live": 100, "test": 25, "endpoint": 7}
    for refused in (0, -1, True, "25"):
        response = http.post("/_emulator/rate_limits", json={"endpoint": refused})
        assert response.status_code == 400, refused
        assert "endpoint" in response.json()["error"]["message"]
    assert control.state()["rate_limits"]["endpoint"] == 7
    control.reset()
    # the session's emulator serves with limits off (conftest), so reset turns them off; the numbers are Stripe's
    assert control.state()["rate_limits"] == {"enabled": False, "live": 100, "test": 25, "endpoint": 25}


@pytest.mark.parametrize("setting", ["live", "test"])
def test_the_global_settings_still_apply(
    http: httpx.Client, control: ControlClient, keys: dict[str, dict[str, str]], setting: str
) -> None:
    control.rate_limits(enabled=True, **{"live": ROOMY, "test": ROOMY, "endpoint": ROOMY, setting: 2})
    key = keys["default"][setting]
    assert until_limited(http, key, "/v1/apps/installs") >= 2
    assert last_entry(control)["rate_limit"] == "global"
