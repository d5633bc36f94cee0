"""Issue #14: only documented `expand[]` paths, request channels without `review`, 5000-character strings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stripe

from .conftest import Uploader

Sdk = Callable[..., stripe.StripeClient]
ACCOUNT: Any = {"type": "account"}


def _refused_expand(response: httpx.Response, path: str, param: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "code" not in error
    assert error["message"] == f"This property cannot be expanded ({path})."
    assert error["param"] == param


def test_secrets_expand_payload_only(sdk: Sdk, http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    client = sdk()
    client.v1.apps.secrets.create({"name": "k", "payload": "v", "scope": ACCOUNT})
    assert client.v1.apps.secrets.find({"name": "k", "scope": ACCOUNT, "expand": ["payload"]}).payload == "v"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.secrets.find({"name": "k", "scope": ACCOUNT, "expand": ["payload", "scope"]})
    assert caught.value.param == "expand[1]"
    assert caught.value.user_message == "This property cannot be expanded (scope)."
    auth = (keys["default"]["test"], "")
    _refused_expand(
        http.get(
            "/v1/apps/secrets/find", params={"name": "k", "scope[type]": "account", "expand[]": "name"}, auth=auth
        ),
        "name",
        "expand[0]",
    )
    # A list expands its objects under `data.`.
    listed = client.v1.apps.secrets.list({"scope": ACCOUNT, "expand": ["data.payload"]})
    assert [secret.payload for secret in listed.data] == ["v"]
    _refused_expand(
        http.get("/v1/apps/secrets", params={"scope[type]": "account", "expand[0]": "payload"}, auth=auth),
        "payload",
        "expand[0]",
    )


def test_an_unknown_expand_on_a_write_changes_nothing(sdk: Sdk, upload: Uploader) -> None:
    app = upload()["app"]
    client = sdk()
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.installs.create({"app": app, "channel": "private_test", "expand": ["app"]})
    assert (caught.value.http_status, caught.value.param) == (400, "expand[0]")
    assert caught.value.user_message == "This property cannot be expanded (app)."
    assert client.v1.apps.installs.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.apps.secrets.create({"name": "k", "payload": "v", "scope": ACCOUNT, "expand": ["livemode"]})
    assert client.v1.apps.secrets.list({"scope": ACCOUNT}).data == []


@pytest.mark.parametrize("path", ["account", "app", "data.account", "permissions_granted"])
def test_installs_expand_nothing(sdk: Sdk, upload: Uploader, path: str) -> None:
    """The SDK's `apps.Install` has no expandable field (`account` and `app` are plain ids)."""
    client = sdk()
    install = client.v1.apps.installs.create({"app": upload()["app"], "channel": "private_test"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.installs.retrieve(install.id, {"expand": [path]})
    assert caught.value.user_message == f"This property cannot be expanded ({path})."
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.apps.installs.list({"expand": [path]})


def test_apps_expand_signing_secret_only(upload: Uploader, http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    app = upload()["app"]
    auth = (keys["default"]["test"], "")
    found = http.get(f"/v1/apps/apps/{app}", params={"expand[]": "signing_secret"}, auth=auth)
    assert found.status_code == 200 and found.json()["signing_secret"].startswith("absec_")
    _refused_expand(http.get(f"/v1/apps/apps/{app}", params={"expand[]": "secret"}, auth=auth), "secret", "expand[0]")
    listed = http.get("/v1/apps/apps", params={"expand[]": "data.signing_secret"}, auth=auth)
    assert listed.status_code == 200 and listed.json()["data"][0]["signing_secret"].startswith("absec_")
    _refused_expand(
        http.get("/v1/apps/apps", params={"expand[]": "signing_secret"}, auth=auth), "signing_secret", "expand[0]"
    )


def test_review_is_not_a_request_channel(
    sdk: Sdk, upload: Uploader, http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    app = upload()["app"]
    client = sdk()
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.installs.create({"app": app, "channel": "review"})
    assert (caught.value.code, caught.value.param) == ("parameter_invalid_enum", "channel")
    assert "review" not in str(caught.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as listed:
        client.v1.apps.installs.list({"channel": "review"})
    assert (listed.value.code, listed.value.param) == ("parameter_invalid_enum", "channel")
    for channel in ("private_live", "private_test", "public", "testing"):
        response = http.get("/v1/apps/installs", params={"channel": channel}, auth=(keys["default"]["test"], ""))
        assert response.status_code == 200, (channel, response.text)


@pytest.mark.parametrize("field", ["name", "payload"])
def test_secret_strings_are_at_most_5000_characters(sdk: Sdk, field: str) -> None:
    client = sdk()
    params: dict[str, Any] = {"name": "n", "payload": "p", "scope": ACCOUNT}
    client.v1.apps.secrets.create({**params, field: "x" * 5000})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.secrets.create({**params, field: "y" * 5001})
    assert (caught.value.http_status, caught.value.param) == (400, field)
    assert "5000" in str(caught.value.user_message)
    assert "yyyy" not in str(caught.value.user_message)  # a payload is never echoed
    assert len(client.v1.apps.secrets.list({"scope": ACCOUNT}).data) == 1


def test_a_too_long_name_is_refused_on_find_and_delete(sdk: Sdk) -> None:
    client = sdk()
    for call in (client.v1.apps.secrets.find, client.v1.apps.secrets.delete_where):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            call({"name": "n" * 5001, "scope": ACCOUNT})
        assert (caught.value.http_status, caught.value.param) == (400, "name")
