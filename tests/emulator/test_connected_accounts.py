"""An app's developer installs, lists, upgrades and uninstalls its app on connected accounts (`Stripe-Account`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient
from tests.emulator.conftest import Uploader, manifest

Sdk = Callable[..., stripe.StripeClient]


@pytest.fixture
def platform(control: ControlClient, upload: Uploader) -> dict[str, Any]:
    """The default account's app, and two accounts connected to it."""
    app = upload(manifest())["app"]
    keys = control.keys()["default"]
    connected = [control.create_account(connected_to=keys["account"]) for _ in range(2)]
    return {"app": app, "account": keys["account"], "connected": [found["account"] for found in connected]}


def test_the_developer_installs_on_connected_accounts_with_channel_public(sdk: Sdk, platform: dict[str, Any]) -> None:
    client = sdk("test")
    first, second = platform["connected"]
    install = client.v1.apps.installs.create({"app": platform["app"], "channel": "public"}, {"stripe_account": first})
    assert (install.account, install.channel, install.livemode) == (first, "public", False)
    assert install.created_by == platform["account"]
    again = client.v1.apps.installs.create({"app": platform["app"], "channel": "public"}, {"stripe_account": first})
    assert again.id == install.id  # idempotent by design, as on one's own account
    client.v1.apps.installs.create({"app": platform["app"], "channel": "public"}, {"stripe_account": second})

    # The developer's listing by app spans the installing accounts; its own listing does not.
    across = client.v1.apps.installs.list({"app": platform["app"]})
    assert sorted(found.account for found in across.data) == sorted([first, second])
    assert client.v1.apps.installs.list().data == []
    on_first = client.v1.apps.installs.list({}, {"stripe_account": first})
    assert [found.id for found in on_first.data] == [install.id]
    assert client.v1.apps.installs.retrieve(install.id).account == first


def test_private_channels_are_refused_on_a_connected_account(sdk: Sdk, platform: dict[str, Any]) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk("test").v1.apps.installs.create(
            {"app": platform["app"], "channel": "private_test"}, {"stripe_account": platform["connected"][0]}
        )
    assert refused.value.http_status == 400
    assert refused.value.param == "channel" and "channel=public" in str(refused.value.user_message)


def test_reauthorize_and_uninstall_on_a_connected_account(sdk: Sdk, platform: dict[str, Any], upload: Uploader) -> None:
    client = sdk("test")
    acting = {"stripe_account": platform["connected"][0]}
    install = client.v1.apps.installs.create({"app": platform["app"], "channel": "public"}, acting)
    upload(manifest(version="1.1.0", permissions=[{"permission": "invoice_read", "purpose": "Invoices"}]))
    assert client.v1.apps.installs.retrieve(install.id, {}, acting).permissions_pending == ["invoice_read"]
    upgraded = client.v1.apps.installs.update(install.id, {}, acting)
    assert "invoice_read" in (upgraded.permissions_granted or [])
    gone = client.v1.apps.installs.uninstall(install.id, {}, acting)
    assert gone.status == "uninstalling"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.apps.installs.retrieve(install.id, {}, acting)
    assert missing.value.http_status == 404


def test_an_unconnected_account_is_refused(sdk: Sdk, platform: dict[str, Any], control: ControlClient) -> None:
    stranger = control.create_account()["account"]
    with pytest.raises(stripe.PermissionError) as refused:
        sdk("test").v1.apps.installs.create({"app": platform["app"], "channel": "public"}, {"stripe_account": stranger})
    assert refused.value.http_status == 403


def test_events_reach_the_installing_account_and_the_developer(
    sdk: Sdk, platform: dict[str, Any], control: ControlClient
) -> None:
    connected = platform["connected"][0]
    install = sdk("test").v1.apps.installs.create(
        {"app": platform["app"], "channel": "public"}, {"stripe_account": connected}
    )
    created = [
        event
        for event in control.state()["objects"].get("event", [])
        if event["type"] == "apps.install.created" and event["data"]["object"]["id"] == install.id
    ]
    recipients = {event["_account"]: event.get("account") for event in created}
    # The developer's copy names the account the install happened on, as Connect events do.
    assert recipients == {connected: None, platform["account"]: connected}
