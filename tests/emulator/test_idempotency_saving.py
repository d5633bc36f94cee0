"""Issue #14: an idempotent result is saved once the endpoint started executing (4xx included), and
nothing is saved when the parameters failed validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stripe

from .conftest import Uploader

Sdk = Callable[..., stripe.StripeClient]
SECRET = {"name": "a", "payload": "p", "scope[type]": "account"}


def _post(http: httpx.Client, key: str, path: str, data: dict[str, Any], idempotency_key: str) -> httpx.Response:
    return http.post(path, data=data, auth=(key, ""), headers={"Idempotency-Key": idempotency_key})


def test_a_404_for_a_missing_app_is_saved_and_replayed(
    http: httpx.Client, keys: dict[str, dict[str, str]], upload: Uploader
) -> None:
    key = keys["default"]["test"]
    params = {"app": "app_doesnotexist", "channel": "private_test"}
    first = _post(http, key, "/v1/apps/installs", params, "missing-app")
    assert first.status_code == 404 and first.json()["error"]["code"] == "resource_missing"
    assert first.headers["Idempotency-Key"] == "missing-app"
    replay = _post(http, key, "/v1/apps/installs", params, "missing-app")
    assert replay.status_code == 404
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Original-Request"] == first.headers["Request-Id"]
    assert replay.json() == first.json()
    # Other parameters under the same key are a mismatch, as for any saved result.
    other = _post(http, key, "/v1/apps/installs", {"app": upload()["app"], "channel": "private_test"}, "missing-app")
    assert other.status_code == 400 and other.json()["error"]["type"] == "idempotency_error"


def test_a_4xx_the_handler_decided_is_replayed_through_the_sdk(sdk: Sdk, upload: Uploader) -> None:
    app = upload()["app"]
    client = sdk()
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.apps.installs.create({"app": app, "channel": "public"}, {"idempotency_key": "dashboard-only"})
        assert caught.value.code == "channel_invalid"
    assert caught.value.headers is not None and caught.value.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.parametrize(
    ("bad", "good"),
    [
        ({**SECRET, "colour": "red"}, SECRET),  # unknown parameter
        ({"name": "a", "scope[type]": "account"}, SECRET),  # missing parameter
        ({**SECRET, "scope[type]": "team"}, SECRET),  # invalid enum
        ({**SECRET, "expires_at": "soon"}, SECRET),  # invalid integer
        ({**SECRET, "expand[0]": "name"}, SECRET),  # an expand path that cannot be expanded
        ({**SECRET, "name": "n" * 5001}, SECRET),  # too long
        ({**SECRET, "scope[type]": "user"}, {**SECRET, "scope[type]": "user", "scope[user]": "usr_1"}),
        ({**SECRET, "scope[user]": "usr_1"}, SECRET),  # scope[user] with account scope
        ({**SECRET, "expires_at": "1"}, SECRET),  # expires_at in the past
    ],
)
def test_nothing_is_saved_when_validation_failed(
    http: httpx.Client, keys: dict[str, dict[str, str]], bad: dict[str, Any], good: dict[str, Any]
) -> None:
    key = keys["default"]["test"]
    refused = _post(http, key, "/v1/apps/secrets", bad, "fix-and-retry")
    assert refused.status_code == 400, refused.text
    assert "Idempotency-Key" not in refused.headers
    fixed = _post(http, key, "/v1/apps/secrets", good, "fix-and-retry")
    assert fixed.status_code == 200, fixed.text
    assert "Idempotent-Replayed" not in fixed.headers


def test_a_missing_permission_is_not_saved(http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    """The restricted key and the secret key are of one account and mode, so they share idempotency keys."""
    refused = _post(http, keys["default"]["restricted_test_secret_read"], "/v1/apps/secrets", SECRET, "perm")
    assert refused.status_code == 403
    allowed = _post(http, keys["default"]["test"], "/v1/apps/secrets", SECRET, "perm")
    assert allowed.status_code == 200 and "Idempotent-Replayed" not in allowed.headers


def test_a_success_after_a_saved_404_is_not_reached_with_the_same_key(
    http: httpx.Client, keys: dict[str, dict[str, str]], sdk: Sdk
) -> None:
    """A saved 404 stays the answer for its key even once the object exists: retries never double-act."""
    key = keys["default"]["test"]
    params = {"name": "later", "scope[type]": "account"}
    first = _post(http, key, "/v1/apps/secrets/delete", params, "delete-later")
    assert first.status_code == 404
    sdk().v1.apps.secrets.create({"name": "later", "payload": "p", "scope": {"type": "account"}})
    again = _post(http, key, "/v1/apps/secrets/delete", params, "delete-later")
    assert again.status_code == 404 and again.headers["Idempotent-Replayed"] == "true"
    assert sdk().v1.apps.secrets.find({"name": "later", "scope": {"type": "account"}}).name == "later"
