"""Issue #14: `Stripe-Version` is checked and echoed; `Stripe-Context` supersedes `Stripe-Account`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient
from stripe_apps_emulator.versions import API_VERSION, KNOWN_VERSIONS

Sdk = Callable[..., stripe.StripeClient]
ACCOUNT: Any = {"type": "account"}
SECRET = {"name": "a", "payload": "p", "scope[type]": "account"}


def test_the_default_version_is_echoed_when_none_is_sent(http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    response = http.get("/v1/apps/installs", auth=(keys["default"]["test"], ""))
    assert response.status_code == 200
    assert response.headers["Stripe-Version"] == API_VERSION == "2026-09-30.endive"


@pytest.mark.parametrize("version", ["2026-09-30.endive", "2026-10-28.endive", "2025-01-27.acacia", "2024-06-20"])
def test_listed_versions_are_accepted_and_echoed(
    http: httpx.Client, keys: dict[str, dict[str, str]], version: str
) -> None:
    response = http.get("/v1/apps/installs", auth=(keys["default"]["test"], ""), headers={"Stripe-Version": version})
    assert response.status_code == 200, response.text
    assert response.headers["Stripe-Version"] == version


def test_the_sdks_own_version_is_accepted(sdk: Sdk) -> None:
    listed = sdk().v1.apps.installs.list()
    assert stripe.api_version in KNOWN_VERSIONS
    assert listed.last_response is not None
    assert listed.last_response.headers["Stripe-Version"] == stripe.api_version


def test_a_beta_flag_after_a_listed_version_is_accepted(http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    version = "2026-09-30.endive; apps_beta=v1"
    response = http.get("/v1/apps/installs", auth=(keys["default"]["test"], ""), headers={"Stripe-Version": version})
    assert response.status_code == 200 and response.headers["Stripe-Version"] == version


@pytest.mark.parametrize(
    "version", ["banana", "2026-09-30", "2031-01-01.zinnia", "2026-09-30.endive; beta", "2026-13-45.endive"]
)
def test_malformed_or_unknown_versions_are_rejected(
    http: httpx.Client, keys: dict[str, dict[str, str]], control: ControlClient, version: str
) -> None:
    response = http.post(
        "/v1/apps/secrets",
        data=SECRET,
        auth=(keys["default"]["test"], ""),
        headers={"Stripe-Version": version, "Idempotency-Key": "versioned"},
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "code" not in error
    assert error["message"].startswith(f"Invalid Stripe API version: {version}")
    assert response.headers["Stripe-Version"] == API_VERSION
    # Nothing was written, and nothing was saved under the key: it works once the version is right.
    good = http.post(
        "/v1/apps/secrets", data=SECRET, auth=(keys["default"]["test"], ""), headers={"Idempotency-Key": "versioned"}
    )
    assert good.status_code == 200 and "Idempotent-Replayed" not in good.headers


def test_the_sdk_sees_a_bad_version_as_an_invalid_request(sdk: Sdk) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk().v1.apps.installs.list(options={"stripe_version": "2099-01-01.nope"})
    assert caught.value.http_status == 400
    assert "Invalid Stripe API version: 2099-01-01.nope" in str(caught.value.user_message)


def _secret_names(sdk: Sdk, account: str) -> list[str]:
    return [secret.name for secret in sdk().v1.apps.secrets.list({"scope": ACCOUNT}, {"stripe_account": account}).data]


def test_stripe_context_supersedes_stripe_account(
    http: httpx.Client, keys: dict[str, dict[str, str]], control: ControlClient, sdk: Sdk
) -> None:
    parent = keys["default"]["account"]
    first = control.create_account(connected_to=parent)["account"]
    second = control.create_account(connected_to=parent)["account"]
    response = http.post(
        "/v1/apps/secrets",
        data=SECRET,
        auth=(keys["default"]["test"], ""),
        headers={"Stripe-Account": second, "Stripe-Context": first},
    )
    assert response.status_code == 200, response.text
    assert _secret_names(sdk, first) == ["a"]
    assert _secret_names(sdk, second) == []
    logged = next(entry for entry in control.requests() if entry["path"] == "/v1/apps/secrets")
    assert logged["account"] == first


def test_stripe_context_through_the_sdk(keys: dict[str, dict[str, str]], control: ControlClient, sdk: Sdk) -> None:
    connected = control.create_account(connected_to=keys["default"]["account"])["account"]
    client = sdk()
    client.v1.apps.secrets.create(
        {"name": "ctx", "payload": "p", "scope": ACCOUNT}, {"stripe_context": stripe.StripeContext([connected])}
    )
    assert _secret_names(sdk, connected) == ["ctx"]
    # A context path from the key's own account to the connected one names the same account.
    path = f"{keys['default']['account']}/{connected}"
    found = client.v1.apps.secrets.find({"name": "ctx", "scope": ACCOUNT}, {"stripe_context": path})
    assert found.name == "ctx"


def test_stripe_context_follows_the_same_access_rules(
    http: httpx.Client, keys: dict[str, dict[str, str]], control: ControlClient
) -> None:
    connected = control.create_account(connected_to=keys["default"]["account"])["account"]
    stranger = control.create_account()["account"]
    auth = (keys["default"]["test"], "")
    refused = http.get(
        "/v1/apps/installs", auth=auth, headers={"Stripe-Context": stranger, "Stripe-Account": connected}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_invalid"
    assert stranger in refused.json()["error"]["message"]
    # The context wins even when Stripe-Account alone would have been refused.
    allowed = http.get(
        "/v1/apps/installs", auth=auth, headers={"Stripe-Context": connected, "Stripe-Account": stranger}
    )
    assert allowed.status_code == 200, allowed.text
