"""Secret Store contract through the official stripe SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient

Sdk = Callable[..., stripe.StripeClient]
ACCOUNT: Any = {"type": "account"}


def test_set_find_list_delete(sdk: Sdk) -> None:
    client = sdk()
    created = client.v1.apps.secrets.create({"name": "api_key", "payload": "s3cr3t", "scope": ACCOUNT})
    assert created.id.startswith("appsecret_")
    assert created.object == "apps.secret"
    assert created.payload is None
    assert "deleted" not in created  # only a deleted secret carries `deleted` (true)
    assert created.livemode is False
    assert created.scope.to_dict() == {"type": "account"}  # `user` only for user scope
    found = client.v1.apps.secrets.find({"name": "api_key", "scope": ACCOUNT, "expand": ["payload"]})
    assert found.payload == "s3cr3t"
    assert client.v1.apps.secrets.find({"name": "api_key", "scope": ACCOUNT}).payload is None
    replaced = client.v1.apps.secrets.create({"name": "api_key", "payload": "new", "scope": ACCOUNT})
    listed = client.v1.apps.secrets.list({"scope": ACCOUNT})
    assert [s.id for s in listed.data] == [replaced.id]
    assert client.v1.apps.secrets.find({"name": "api_key", "scope": ACCOUNT, "expand": ["payload"]}).payload == "new"
    deleted = client.v1.apps.secrets.delete_where({"name": "api_key", "scope": ACCOUNT})
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.secrets.find({"name": "api_key", "scope": ACCOUNT})
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")


def test_user_scope(sdk: Sdk) -> None:
    client = sdk()
    user: Any = {"type": "user", "user": "usr_1"}
    client.v1.apps.secrets.create({"name": "token", "payload": "u", "scope": user})
    assert client.v1.apps.secrets.list({"scope": ACCOUNT}).data == []
    assert len(client.v1.apps.secrets.list({"scope": user}).data) == 1
    assert client.v1.apps.secrets.list({"scope": {"type": "user", "user": "usr_2"}}).data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.secrets.create({"name": "t", "payload": "u", "scope": {"type": "user"}})
    assert (caught.value.code, caught.value.param) == ("parameter_missing", "scope[user]")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.secrets.create({"name": "t", "payload": "u", "scope": {"type": "team"}})
    assert (caught.value.code, caught.value.param) == ("parameter_invalid_enum", "scope[type]")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.secrets.create({"name": "t", "payload": "u"})  # type: ignore[typeddict-item]
    assert (caught.value.code, caught.value.param) == ("parameter_missing", "scope")


def test_limit_of_ten_per_scope(sdk: Sdk) -> None:
    client = sdk()
    for index in range(10):
        client.v1.apps.secrets.create({"name": f"s{index}", "payload": "p", "scope": ACCOUNT})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.secrets.create({"name": "s10", "payload": "p", "scope": ACCOUNT})
    assert caught.value.code == "secret_limit_exceeded"
    client.v1.apps.secrets.create({"name": "s0", "payload": "replace is fine", "scope": ACCOUNT})
    client.v1.apps.secrets.create({"name": "other", "payload": "p", "scope": {"type": "user", "user": "usr_1"}})
    assert len(client.v1.apps.secrets.list({"scope": ACCOUNT, "limit": 100}).data) == 10


def test_expiry(sdk: Sdk, control: ControlClient) -> None:
    client = sdk()
    now = int(control.advance_clock(0))
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.secrets.create({"name": "x", "payload": "p", "scope": ACCOUNT, "expires_at": now - 1})
    assert caught.value.param == "expires_at"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.secrets.create(
            {"name": "x", "payload": "p", "scope": ACCOUNT, "expires_at": now + 101 * 365 * 86400}
        )
    assert caught.value.param == "expires_at"
    # 100 calendar years, not 100 x 365 days: ten days past 36,500 days is still within them (24 leap days).
    within = client.v1.apps.secrets.create(
        {"name": "far", "payload": "p", "scope": ACCOUNT, "expires_at": now + (100 * 365 + 10) * 86400}
    )
    assert within.expires_at == now + (100 * 365 + 10) * 86400
    client.v1.apps.secrets.delete_where({"name": "far", "scope": ACCOUNT})
    secret = client.v1.apps.secrets.create({"name": "x", "payload": "p", "scope": ACCOUNT, "expires_at": now + 60})
    assert secret.expires_at == now + 60
    assert client.v1.apps.secrets.find({"name": "x", "scope": ACCOUNT}).id == secret.id
    control.advance_clock(120)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.apps.secrets.find({"name": "x", "scope": ACCOUNT})
    assert client.v1.apps.secrets.list({"scope": ACCOUNT}).data == []


def test_livemode_by_key_and_account_isolation(sdk: Sdk, control: ControlClient) -> None:
    sdk().v1.apps.secrets.create({"name": "k", "payload": "test", "scope": ACCOUNT})
    live = sdk("live").v1.apps.secrets.create({"name": "k", "payload": "live", "scope": ACCOUNT})
    assert live.livemode is True
    assert sdk("live").v1.apps.secrets.find({"name": "k", "scope": ACCOUNT, "expand": ["payload"]}).payload == "live"
    assert sdk().v1.apps.secrets.find({"name": "k", "scope": ACCOUNT, "expand": ["payload"]}).payload == "test"
    other = control.create_account()
    with pytest.raises(stripe.InvalidRequestError):
        sdk(other["test"]).v1.apps.secrets.find({"name": "k", "scope": ACCOUNT})
    with pytest.raises(stripe.InvalidRequestError):
        sdk("test", account="sandbox").v1.apps.secrets.find({"name": "k", "scope": ACCOUNT})
