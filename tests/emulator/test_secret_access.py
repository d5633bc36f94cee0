"""Issue #14: Secret Store objects as Stripe sends them, restricted-key permissions and isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient

Sdk = Callable[..., stripe.StripeClient]
ACCOUNT: Any = {"type": "account"}
USER: Any = {"type": "user", "user": "usr_1"}


def test_deleted_only_on_a_deleted_secret_and_user_only_for_user_scope(
    sdk: Sdk, http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    client = sdk()
    account = client.v1.apps.secrets.create({"name": "a", "payload": "p", "scope": ACCOUNT})
    user = client.v1.apps.secrets.create({"name": "u", "payload": "p", "scope": USER})
    assert account.scope.to_dict() == {"type": "account"}
    assert user.scope.to_dict() == {"type": "user", "user": "usr_1"}
    auth = (keys["default"]["test"], "")
    raw = http.get("/v1/apps/secrets", params={"scope[type]": "account"}, auth=auth).json()["data"][0]
    assert "deleted" not in raw and raw["scope"] == {"type": "account"}
    assert raw["payload"] is None
    found = http.get(
        "/v1/apps/secrets/find", params={"name": "u", "scope[type]": "user", "scope[user]": "usr_1"}, auth=auth
    )
    assert "deleted" not in found.json() and found.json()["scope"] == {"type": "user", "user": "usr_1"}
    deleted = http.post("/v1/apps/secrets/delete", data={"name": "a", "scope[type]": "account"}, auth=auth).json()
    assert deleted["deleted"] is True and deleted["id"] == account.id
    assert client.v1.apps.secrets.delete_where({"name": "u", "scope": USER}).deleted is True


def _permission_error(caught: pytest.ExceptionInfo[stripe.PermissionError], key: str, permission: str) -> None:
    error = caught.value
    assert error.http_status == 403 and error.code is None
    assert error.user_message == (
        f"The provided key '{key[:8]}********{key[-4:]}' does not have the required permissions for this endpoint "
        f"on account 'acct_1Emulator0Default'. Having the '{permission}' permission would allow this request to "
        "continue."
    )


def test_a_restricted_key_without_secret_permissions_is_refused(sdk: Sdk, keys: dict[str, dict[str, str]]) -> None:
    sdk().v1.apps.secrets.create({"name": "a", "payload": "p", "scope": ACCOUNT})
    key = keys["default"]["restricted_test_no_write"]  # install permissions only
    client = sdk("restricted_test_no_write")
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.apps.secrets.create({"name": "b", "payload": "p", "scope": ACCOUNT})
    _permission_error(caught, key, "secret_write")
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.apps.secrets.delete_where({"name": "a", "scope": ACCOUNT})
    _permission_error(caught, key, "secret_write")
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.apps.secrets.find({"name": "a", "scope": ACCOUNT})
    _permission_error(caught, key, "secret_read")
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.apps.secrets.list({"scope": ACCOUNT})
    _permission_error(caught, key, "secret_read")
    assert [s.name for s in sdk().v1.apps.secrets.list({"scope": ACCOUNT}).data] == ["a"]


def test_secret_read_finds_and_lists_but_does_not_write(sdk: Sdk, keys: dict[str, dict[str, str]]) -> None:
    sdk().v1.apps.secrets.create({"name": "a", "payload": "p", "scope": ACCOUNT})
    reader = sdk("restricted_test_secret_read")
    assert reader.v1.apps.secrets.find({"name": "a", "scope": ACCOUNT, "expand": ["payload"]}).payload == "p"
    assert [s.name for s in reader.v1.apps.secrets.list({"scope": ACCOUNT}).data] == ["a"]
    key = keys["default"]["restricted_test_secret_read"]
    with pytest.raises(stripe.PermissionError) as caught:
        reader.v1.apps.secrets.create({"name": "b", "payload": "p", "scope": ACCOUNT})
    _permission_error(caught, key, "secret_write")
    with pytest.raises(stripe.PermissionError) as caught:
        reader.v1.apps.secrets.delete_where({"name": "a", "scope": ACCOUNT})
    _permission_error(caught, key, "secret_write")


def test_secret_write_does_everything(sdk: Sdk) -> None:
    writer = sdk("restricted_test_secret_write")
    writer.v1.apps.secrets.create({"name": "a", "payload": "p", "scope": ACCOUNT})
    assert writer.v1.apps.secrets.find({"name": "a", "scope": ACCOUNT}).name == "a"
    assert len(writer.v1.apps.secrets.list({"scope": ACCOUNT}).data) == 1
    assert writer.v1.apps.secrets.delete_where({"name": "a", "scope": ACCOUNT}).deleted is True
    # The store is the account's: the restricted key and the secret key of one account share it.
    writer.v1.apps.secrets.create({"name": "shared", "payload": "p", "scope": ACCOUNT})
    assert sdk().v1.apps.secrets.find({"name": "shared", "scope": ACCOUNT}).name == "shared"


def test_an_install_key_gets_stripes_403_on_secrets(http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    """The 403 is Stripe's wire shape: no code, type invalid_request_error, on the raw response too."""
    response = http.get(
        "/v1/apps/secrets", params={"scope[type]": "account"}, auth=(keys["default"]["restricted_test_write"], "")
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert set(error) == {"message", "request_log_url", "type"}
    assert "'secret_read'" in error["message"]


def test_secrets_are_shared_only_by_one_developers_apps(
    sdk: Sdk, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    """A developer's key acting on a connected account reaches the store its apps share there; the
    connected account's own key (another developer) has a store of its own in that account."""
    connected = control.create_account(connected_to=keys["default"]["account"])
    developer = sdk()
    on_connected = {"stripe_account": connected["account"]}
    developer.v1.apps.secrets.create({"name": "token", "payload": "developer", "scope": ACCOUNT}, on_connected)
    own = sdk(connected["test"])
    with pytest.raises(stripe.InvalidRequestError) as caught:
        own.v1.apps.secrets.find({"name": "token", "scope": ACCOUNT})
    assert caught.value.http_status == 404
    own.v1.apps.secrets.create({"name": "token", "payload": "own", "scope": ACCOUNT})
    mine = developer.v1.apps.secrets.find({"name": "token", "scope": ACCOUNT, "expand": ["payload"]}, on_connected)
    assert mine.payload == "developer"
    assert own.v1.apps.secrets.find({"name": "token", "scope": ACCOUNT, "expand": ["payload"]}).payload == "own"
    # Neither reaches the developer's own account store.
    assert developer.v1.apps.secrets.list({"scope": ACCOUNT}).data == []
