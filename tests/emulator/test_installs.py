"""Install API contract through the official stripe SDK over a real socket."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient

from .conftest import Uploader, manifest

Sdk = Callable[..., stripe.StripeClient]


def test_create_installs_newest_completed_upload_then_returns_existing(
    sdk: Sdk, upload: Uploader, control: ControlClient
) -> None:
    first = upload(version="2.0.0")
    second = upload(version="1.0.0")  # uploaded later: newest by upload time, not by version string
    client = sdk()
    install = client.v1.apps.installs.create({"app": first["app"], "channel": "private_test"})
    assert install.id.startswith("appinst_test_")
    assert install.status == "installing"
    assert install.object == "apps.install"
    assert install.permissions_granted == ["customer_read"]
    assert install.livemode is False
    assert install.last_response is not None
    assert str(install.last_response.request_id).startswith("req_")
    assert control.installed_upload(install.id) == second["id"]
    again = client.v1.apps.installs.retrieve(install.id)
    assert again.status == "installed"
    same = client.v1.apps.installs.create({"app": first["app"], "channel": "private_test"})
    assert same.id == install.id
    assert same.status == "installed"
    assert "version" not in same and "upload" not in same


def test_live_install_and_listing_filters(sdk: Sdk, upload: Uploader) -> None:
    app = upload()["app"]
    live = sdk("live").v1.apps.installs.create({"app": app, "channel": "private_live"})
    assert live.id.startswith("appinst_") and not live.id.startswith("appinst_test_")
    assert live.livemode is True
    test = sdk().v1.apps.installs.create({"app": app, "channel": "private_test"})
    live_list = sdk("live").v1.apps.installs.list()
    assert [i.id for i in live_list.data] == [live.id]
    assert [i.id for i in sdk().v1.apps.installs.list({"app": app, "status": "installed"}).data] == [test.id]
    assert sdk().v1.apps.installs.list({"channel": "private_live"}).data == []
    assert len(sdk().v1.apps.installs.list({"created": {"gte": test.created}}).data) == 1
    assert sdk().v1.apps.installs.list({"created": {"gt": test.created + 10}}).data == []


@pytest.mark.parametrize(
    ("key", "channel", "message"),
    [
        ("test", None, "Dashboard"),
        ("test", "public", "Dashboard"),
        ("test", "private_live", "mode"),
        ("live", "private_test", "mode"),
    ],
)
def test_channel_must_match_key_mode(sdk: Sdk, upload: Uploader, key: str, channel: str | None, message: str) -> None:
    app = upload()["app"]
    params = {"app": app} if channel is None else {"app": app, "channel": channel}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk(key).v1.apps.installs.create(params)  # type: ignore[arg-type]
    assert caught.value.http_status == 400
    assert caught.value.param == "channel"
    assert caught.value.code == "channel_invalid"
    assert message in str(caught.value.user_message)
    assert caught.value.request_id and caught.value.request_id.startswith("req_")


def test_invalid_enum_unknown_and_missing_params(sdk: Sdk, upload: Uploader) -> None:
    app = upload()["app"]
    client = sdk()
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.installs.create({"app": app, "channel": "sideways"})
    assert (caught.value.code, caught.value.param) == ("parameter_invalid_enum", "channel")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.installs.create({"app": app, "channel": "private_test", "version": "1"})  # type: ignore[typeddict-unknown-key]
    assert (caught.value.code, caught.value.param) == ("parameter_unknown", "version")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.installs.create({"channel": "private_test"})  # type: ignore[typeddict-item]
    assert (caught.value.code, caught.value.param) == ("parameter_missing", "app")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.installs.retrieve("appinst_test_nope")
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")


def test_public_app_cannot_be_installed_private_live(sdk: Sdk, upload: Uploader) -> None:
    app = upload(distribution_type="public")["app"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk("live").v1.apps.installs.create({"app": app, "channel": "private_live"})
    assert caught.value.param == "channel"
    assert sdk().v1.apps.installs.create({"app": app, "channel": "private_test"}).status == "installing"


def test_no_completed_upload(sdk: Sdk, upload: Uploader) -> None:
    failed = upload(manifest(name=None))
    assert failed["status"] == "failed"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sdk().v1.apps.installs.create({"app": failed["app"], "channel": "private_test"})
    assert (caught.value.code, caught.value.param) == ("app_version_missing", "app")


def test_pending_permissions_until_reauthorize(sdk: Sdk, upload: Uploader, control: ControlClient) -> None:
    first = upload()
    client = sdk()
    install = client.v1.apps.installs.create({"app": first["app"], "channel": "private_test"})
    more = manifest(
        version="1.1.0",
        permissions=[
            {"permission": "customer_read", "purpose": "Show customers"},
            {"permission": "invoice_read", "purpose": "Show invoices"},
        ],
    )
    second = upload(more)
    seen = client.v1.apps.installs.retrieve(install.id)
    assert seen.permissions_pending == ["invoice_read"]
    assert seen.permissions_granted == ["customer_read"]
    # The SDK documents that approval_required stays false for private apps.
    assert seen.approval_required is False
    assert control.installed_upload(install.id) == first["id"]
    reauthorized = client.v1.apps.installs.update(install.id)
    assert reauthorized.status == "installing"
    done = client.v1.apps.installs.retrieve(install.id)
    assert done.permissions_pending == []
    assert done.permissions_granted == ["customer_read", "invoice_read"]
    assert control.installed_upload(install.id) == second["id"]


def test_auto_upgrade_when_nothing_new_is_asked(sdk: Sdk, upload: Uploader, control: ControlClient) -> None:
    first = upload()
    install = sdk().v1.apps.installs.create({"app": first["app"], "channel": "private_test"})
    second = upload(version="1.0.1")
    assert sdk().v1.apps.installs.retrieve(install.id).permissions_pending == []
    assert control.installed_upload(install.id) == second["id"]


def test_create_reinstalls_after_dashboard_installed_an_older_version(
    sdk: Sdk, upload: Uploader, control: ControlClient
) -> None:
    old = upload()
    new = upload(version="1.0.1")
    client = sdk()
    install = client.v1.apps.installs.create({"app": old["app"], "channel": "private_test"})
    control.dashboard_install_version(old["app"], old["id"])
    assert client.v1.apps.installs.retrieve(install.id).status == "installed"
    assert control.installed_upload(install.id) == old["id"]
    again = client.v1.apps.installs.create({"app": old["app"], "channel": "private_test"})
    assert (again.id, again.status) == (install.id, "installing")
    assert control.installed_upload(install.id) == new["id"]


def test_uninstall_is_async_then_404(sdk: Sdk, upload: Uploader) -> None:
    client = sdk()
    install = client.v1.apps.installs.create({"app": upload()["app"], "channel": "private_test"})
    gone = client.v1.apps.installs.uninstall(install.id)
    assert gone.status == "uninstalling"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.installs.retrieve(install.id)
    assert caught.value.http_status == 404


def test_held_and_failing_transitions(sdk: Sdk, upload: Uploader, control: ControlClient) -> None:
    app = upload()["app"]
    client = sdk()
    control.transitions(install="held")
    install = client.v1.apps.installs.create({"app": app, "channel": "private_test"})
    assert client.v1.apps.installs.retrieve(install.id).status == "installing"
    assert control.release() == 1
    assert client.v1.apps.installs.retrieve(install.id).status == "installed"
    control.transitions(uninstall="delayed", delay_ms=60_000)
    client.v1.apps.installs.uninstall(install.id)
    assert client.v1.apps.installs.retrieve(install.id).status == "uninstalling"
    control.advance_clock(61)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.apps.installs.retrieve(install.id)
    control.transitions(install="fail")
    failed = client.v1.apps.installs.create({"app": app, "channel": "private_test"})
    assert client.v1.apps.installs.retrieve(failed.id).status == "install_failed"
    control.transitions(install="immediate", uninstall="fail")
    client.v1.apps.installs.uninstall(failed.id)
    assert client.v1.apps.installs.retrieve(failed.id).status == "uninstall_failed"


def test_sandbox_install_needs_compatible_newest_upload(sdk: Sdk, upload: Uploader) -> None:
    app = upload()["app"]
    sandbox = sdk("test", account="sandbox")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sandbox.v1.apps.installs.create({"app": app, "channel": "private_test"})
    assert (caught.value.code, caught.value.param) == ("sandbox_install_incompatible", "app")
    upload(version="1.0.1", sandbox_install_compatible=True)
    install = sandbox.v1.apps.installs.create({"app": app, "channel": "private_test"})
    assert install.account == "acct_1Emulator0Sandbox"
    with pytest.raises(stripe.InvalidRequestError):
        sandbox.v1.apps.installs.create({"app": app, "channel": "private_live"})
    # the sandbox is its own environment: the parent's test key does not see the install
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk().v1.apps.installs.retrieve(install.id)
    assert missing.value.http_status == 404


def test_restricted_keys(sdk: Sdk, upload: Uploader) -> None:
    app = upload()["app"]
    with pytest.raises(stripe.PermissionError) as caught:
        sdk("restricted_test_no_write").v1.apps.installs.create({"app": app, "channel": "private_test"})
    assert caught.value.http_status == 403
    assert "app_install_write" in str(caught.value.user_message)
    assert caught.value.request_id
    install = sdk("restricted_test_write").v1.apps.installs.create({"app": app, "channel": "private_test"})
    assert sdk("restricted_test_no_write").v1.apps.installs.retrieve(install.id).id == install.id
    live = sdk("restricted_live_write").v1.apps.installs.create({"app": app, "channel": "private_live"})
    assert live.livemode is True
    # A key without the install permissions reads no install: read access is a permission too (write implies it).
    for read in (
        lambda: sdk("restricted_test_secret_read").v1.apps.installs.retrieve(install.id),
        sdk("restricted_test_secret_read").v1.apps.installs.list,
    ):
        with pytest.raises(stripe.PermissionError) as refused:
            read()
        assert "app_install_read" in str(refused.value.user_message)
    assert sdk("restricted_test_write").v1.apps.installs.list().data[0].id == install.id


def test_events_for_install_lifecycle(sdk: Sdk, upload: Uploader) -> None:
    client = sdk()
    install = client.v1.apps.installs.create(
        {"app": upload()["app"], "channel": "private_test"}, {"idempotency_key": "evt-key"}
    )
    client.v1.apps.installs.retrieve(install.id)
    client.v1.apps.installs.uninstall(install.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.apps.installs.retrieve(install.id)
    events = client.v1.events.list({"type": "apps.install.*"}).data
    types = [e.type for e in events]
    assert types == [
        "apps.install.deleted",
        "apps.install.updated",
        "apps.install.updated",
        "apps.install.created",
    ]
    created = events[-1]
    assert created.data.object["id"] == install.id
    assert created.request is not None and created.request.idempotency_key == "evt-key"
    assert created.livemode is False
    installed = events[2]
    assert installed.data.previous_attributes is not None
    assert installed.data.previous_attributes.to_dict() == {"status": "installing"}
    assert client.v1.events.retrieve(created.id).id == created.id
    assert sdk("live").v1.events.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        sdk("live").v1.events.retrieve(created.id)


def test_dashboard_uninstall_emits_events(sdk: Sdk, upload: Uploader, control: ControlClient) -> None:
    client = sdk()
    install = client.v1.apps.installs.create({"app": upload()["app"], "channel": "private_test"})
    assert control.dashboard_uninstall(install.id)["status"] == "uninstalling"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.apps.installs.retrieve(install.id)
    deleted = client.v1.events.list({"type": "apps.install.deleted"}).data
    assert [e.data.object["id"] for e in deleted] == [install.id]
    assert deleted[0].request is not None and deleted[0].request.id is None


def test_paging(sdk: Sdk, upload: Uploader, control: ControlClient) -> None:
    client = sdk()
    ids = []
    for index in range(3):
        ids.append(
            client.v1.apps.installs.create(
                {"app": upload(app_id=f"com.example.a{index}")["app"], "channel": "private_test"}
            ).id
        )
    page = client.v1.apps.installs.list({"limit": 2})
    assert [i.id for i in page.data] == ids[::-1][:2] and page.has_more
    rest = client.v1.apps.installs.list({"limit": 2, "starting_after": page.data[-1].id})
    assert [i.id for i in rest.data] == [ids[0]] and not rest.has_more
    back = client.v1.apps.installs.list({"limit": 2, "ending_before": ids[0]})
    assert [i.id for i in back.data] == ids[::-1][:2]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.apps.installs.list({"starting_after": ids[0], "ending_before": ids[1]})
    assert caught.value.param == "ending_before"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.apps.installs.list({"limit": 101})
