"""Issue #14: error envelopes as Stripe sends them, and the codes Stripe does not send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient

from .conftest import Uploader

Sdk = Callable[..., stripe.StripeClient]
ACCOUNT: Any = {"type": "account"}


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Request-Id"].startswith("req_")
    error: dict[str, Any] = response.json()["error"]
    # Keys that do not apply are omitted, never null.
    assert None not in error.values(), error
    assert error["request_log_url"] == f"https://dashboard.stripe.com/test/logs/{response.headers['Request-Id']}"
    return error


def test_a_coded_error_carries_stripes_doc_url_with_hyphens(
    http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    error = _error(http.get("/v1/apps/installs/appinst_test_nope", auth=(keys["default"]["test"], "")), 404)
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "resource_missing"
    assert error["doc_url"] == "https://stripe.com/docs/error-codes/resource-missing"
    assert error["param"] == "id"
    enum = _error(http.get("/v1/apps/installs", params={"status": "sideways"}, auth=(keys["default"]["test"], "")), 400)
    assert (enum["code"], enum["param"]) == ("parameter_invalid_enum", "status")
    assert enum["doc_url"] == "https://stripe.com/docs/error-codes/parameter-invalid-enum"


def test_keys_that_do_not_apply_are_omitted(http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    error = _error(http.get("/v1/nothing", auth=(keys["default"]["test"], "")), 404)
    assert set(error) == {"message", "request_log_url", "type"}
    # A param without a code: only `param` is added.
    bad_object = _error(
        http.post(
            "/v1/apps/secrets",
            data={"name": "a", "payload": "p", "scope": "account"},
            auth=(keys["default"]["test"], ""),
        ),
        400,
    )
    assert set(bad_object) == {"message", "param", "request_log_url", "type"}
    assert bad_object["param"] == "scope"


def test_401s_carry_no_code(http: httpx.Client, keys: dict[str, dict[str, str]], control: ControlClient) -> None:
    missing = _error(http.get("/v1/apps/installs"), 401)
    assert set(missing) == {"message", "request_log_url", "type"}
    assert missing["type"] == "invalid_request_error"
    assert missing["message"].startswith("You did not provide an API key.")
    invalid = _error(http.get("/v1/apps/installs", auth=("sk_test_doesnotexist1234", "")), 401)
    assert "code" not in invalid
    assert invalid["message"] == "Invalid API Key provided: sk_test_********1234"
    key = keys["default"]["test"]
    control.revoke_key(key)
    expired = _error(http.get("/v1/apps/installs", auth=(key, "")), 401)
    assert "code" not in expired and expired["type"] == "invalid_request_error"
    assert expired["message"] == f"Expired API Key provided: {key[:8]}********{key[-4:]}"


def test_401_through_the_sdk(sdk: Sdk) -> None:
    with pytest.raises(stripe.AuthenticationError) as caught:
        sdk("sk_test_doesnotexist1234").v1.apps.installs.list()
    assert caught.value.http_status == 401
    assert caught.value.code is None
    assert caught.value.error is not None and caught.value.error.code is None
    assert caught.value.error.type == "invalid_request_error"


def test_idempotency_mismatch_is_an_idempotency_error_without_code(
    sdk: Sdk, http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    client = sdk()
    client.v1.apps.secrets.create({"name": "a", "payload": "p", "scope": ACCOUNT}, {"idempotency_key": "same"})
    response = http.post(
        "/v1/apps/secrets",
        data={"name": "b", "payload": "p", "scope[type]": "account"},
        headers={"Idempotency-Key": "same"},
        auth=(keys["default"]["test"], ""),
    )
    error = _error(response, 400)
    assert set(error) == {"message", "request_log_url", "type"}
    assert error["type"] == "idempotency_error"
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.apps.secrets.create({"name": "c", "payload": "p", "scope": ACCOUNT}, {"idempotency_key": "same"})
    assert caught.value.code is None


def test_the_500_is_an_api_error_without_code(
    http: httpx.Client, keys: dict[str, dict[str, str]], control: ControlClient, sdk: Sdk
) -> None:
    control.set_faults(1, [{"route": "GET /v1/apps/installs", "kind": "error_before"}])
    error = _error(http.get("/v1/apps/installs", auth=(keys["default"]["test"], "")), 500)
    assert set(error) == {"message", "request_log_url", "type"}
    assert error["type"] == "api_error"
    with pytest.raises(stripe.APIError) as caught:
        sdk().v1.apps.installs.list()
    assert caught.value.http_status == 500 and caught.value.code is None


def test_restricted_key_without_the_permission_gets_stripes_403(
    sdk: Sdk, upload: Uploader, http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    app = upload()["app"]
    key = keys["default"]["restricted_test_no_write"]
    response = http.post("/v1/apps/installs", data={"app": app, "channel": "private_test"}, auth=(key, ""))
    error = _error(response, 403)
    assert set(error) == {"message", "request_log_url", "type"}
    assert error["type"] == "invalid_request_error"
    assert error["message"] == (
        f"The provided key '{key[:8]}********{key[-4:]}' does not have the required permissions for this "
        f"endpoint on account '{keys['default']['account']}'. Having the 'app_install_write' permission would "
        "allow this request to continue."
    )
    with pytest.raises(stripe.PermissionError) as caught:
        sdk("restricted_test_no_write").v1.apps.installs.create({"app": app, "channel": "private_test"})
    assert caught.value.http_status == 403 and caught.value.code is None


def test_uploads_keep_their_own_secret_key_refusal(upload: Uploader, keys: dict[str, dict[str, str]]) -> None:
    """Uploads are emulator-only: a restricted key is refused with the emulator's own message and code."""
    body = upload(key=keys["default"]["restricted_test_write"], expect=403)
    assert body["error"]["code"] == "secret_key_required"
    assert body["error"]["doc_url"] == "https://stripe.com/docs/error-codes/secret-key-required"
    assert "requires a secret key" in body["error"]["message"]
