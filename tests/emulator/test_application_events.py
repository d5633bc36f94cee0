"""Issue #14: `account.application.authorized|deauthorized` beside `apps.install.*`, recorded for the
installing account and for the app's developer when they differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient

from .conftest import Uploader

Sdk = Callable[..., stripe.StripeClient]


def _events(client: stripe.StripeClient) -> list[Any]:
    """Every event of the key's account, oldest first."""
    return list(reversed(client.v1.events.list({"limit": 100}).data))


def test_own_install_authorizes_and_uninstall_deauthorizes(sdk: Sdk, upload: Uploader) -> None:
    client = sdk()
    install = client.v1.apps.installs.create(
        {"app": upload()["app"], "channel": "private_test"}, {"idempotency_key": "install-once"}
    )
    authorized = client.v1.events.list({"type": "account.application.authorized"}).data
    assert len(authorized) == 1
    event = authorized[0]
    application = event.data.object
    assert application["object"] == "application"
    assert application["id"].startswith("ca_")
    assert application["name"] == "Billing helper"
    assert event.livemode is False
    assert event.request is not None and event.request.idempotency_key == "install-once"
    assert "account" not in event  # the account's own event
    # The install's own event is the newest.
    newest = client.v1.events.list({"limit": 1}).data[0]
    assert newest.type == "apps.install.created"
    client.v1.apps.installs.uninstall(install.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.apps.installs.retrieve(install.id)
    deauthorized = client.v1.events.list({"type": "account.application.deauthorized"}).data
    assert [e.data.object["id"] for e in deauthorized] == [application["id"]]
    assert deauthorized[0].request is not None and deauthorized[0].request.id is None  # the uninstall finished later
    assert client.v1.events.list({"limit": 1}).data[0].type == "apps.install.deleted"


def test_no_new_authorization_when_create_returns_the_existing_install(sdk: Sdk, upload: Uploader) -> None:
    client = sdk()
    app = upload()["app"]
    first = client.v1.apps.installs.create({"app": app, "channel": "private_test"})
    assert client.v1.apps.installs.create({"app": app, "channel": "private_test"}).id == first.id
    assert len(client.v1.events.list({"type": "account.application.authorized"}).data) == 1


def test_failed_uninstall_does_not_deauthorize(sdk: Sdk, upload: Uploader, control: ControlClient) -> None:
    client = sdk()
    install = client.v1.apps.installs.create({"app": upload()["app"], "channel": "private_test"})
    control.transitions(uninstall="fail")
    client.v1.apps.installs.uninstall(install.id)
    assert client.v1.apps.installs.retrieve(install.id).status == "uninstall_failed"
    assert client.v1.events.list({"type": "account.application.deauthorized"}).data == []


def test_events_go_to_the_installing_account_and_to_the_apps_developer(
    sdk: Sdk, upload: Uploader, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    """An install of the developer's app on another account (here made from the Dashboard's Version
    History into a connected account): both accounts record every event; the developer's copies name
    the account they happened on."""
    developer_account = keys["default"]["account"]
    connected = control.create_account(connected_to=developer_account)
    uploaded = upload()
    view = control.dashboard_install_version(uploaded["app"], uploaded["id"], account=connected["account"])
    assert view["account"] == connected["account"]
    installer, developer = sdk(connected["test"]), sdk()
    control.dashboard_uninstall(view["id"])
    with pytest.raises(stripe.InvalidRequestError):
        installer.v1.apps.installs.retrieve(view["id"])
    expected = [
        "account.application.authorized",
        "apps.install.created",
        "apps.install.updated",
        "apps.install.updated",
        "account.application.deauthorized",
        "apps.install.deleted",
    ]
    own = _events(installer)
    copies = _events(developer)
    assert [e.type for e in own] == expected
    assert [e.type for e in copies] == expected
    assert all("account" not in e for e in own)
    assert all(e.account == connected["account"] for e in copies)
    assert {e.id for e in own}.isdisjoint(e.id for e in copies)
    assert [e.data.object["id"] for e in own] == [e.data.object["id"] for e in copies]


def test_a_sandbox_install_records_events_in_the_sandbox_only(
    sdk: Sdk, upload: Uploader, keys: dict[str, dict[str, str]]
) -> None:
    app = upload(sandbox_install_compatible=True)["app"]
    sandbox = sdk("test", account="sandbox")
    sandbox.v1.apps.installs.create({"app": app, "channel": "private_test"})
    assert [e.type for e in sandbox.v1.events.list().data] == ["apps.install.created", "account.application.authorized"]
    assert sdk().v1.events.list().data == []
