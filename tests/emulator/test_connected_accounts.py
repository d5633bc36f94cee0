"""An app's developer installs, lists, upgrades and uninstalls its app on connected accounts (`Stripe-Account`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.emulator.conftest import Uploader, manifest

Sdk = Callable[..., stripe.StripeClient]


@pytest.fixture
def platform(control: ControlClient, upload: Uploader) -> dict[str, Any]:
    """The default account's app, and two accounts connected to it."""
    app = upload(manifest())["app"]
    keys = control.keys()["default"]
    connected = [control.create_account(connected_to=keys["account"]) for _ in range(2)]
    return {
        "app": app,
        "account": keys["account"],
        "connected": [found["account"] for found in connected],
        "connected_keys": [found["test"] for found in connected],
    }


def test_the_developer_installs_on_connected_accounts_with_channel_public(sdk: Sdk, platform: dict[str, Any]) -> None:
    client = sdk("test")
    first, second = platform["connected"]
    install = client.v1.apps.installs.create({"app": platform["app"], "channel": "public"}, {"stripe_account": first})
    assert (install.account, install.channel, install.livemode) == (first, "public", False)
    # "The embedding platform that created the install": a developer is none (the docs' create example: null).
    assert install.created_by is None
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


def test_reauthorize_and_uninstall_on_a_connected_account(
    sdk: Sdk, platform: dict[str, Any], upload: Uploader, server: RunningEmulator
) -> None:
    client = sdk("test")
    acting = {"stripe_account": platform["connected"][0]}
    install = client.v1.apps.installs.create({"app": platform["app"], "channel": "public"}, acting)
    granted = list(install.permissions_granted or [])
    upload(manifest(version="1.1.0", permissions=[{"permission": "invoice_read", "purpose": "Invoices"}]))
    assert client.v1.apps.installs.retrieve(install.id, {}, acting).permissions_pending == ["invoice_read"]
    # "An app developer can't grant new access" (docs: api/apps/installs/update): neither reauthorizing nor
    # creating again moves the install; the new access waits for the installing account.
    for attempt in (
        lambda: client.v1.apps.installs.update(install.id, {}, acting),
        lambda: client.v1.apps.installs.create({"app": platform["app"], "channel": "public"}, acting),
    ):
        held = attempt()
        assert (held.permissions_granted, held.permissions_pending) == (granted, ["invoice_read"])
        assert held.approval_required is True and held.status == "installed"
    # The installing account grants it with its own key.
    installer = stripe.StripeClient(platform["connected_keys"][0], base_addresses={"api": server.url})
    upgraded = installer.v1.apps.installs.update(install.id)
    assert "invoice_read" in (upgraded.permissions_granted or []) and upgraded.permissions_pending == []
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


# An S256 challenge: BASE64URL(SHA256(verifier)), RFC 7636 appendix B.
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
NEW_CHALLENGE = "VGFNYFdme_HcTJwm-znF39gBDerliKuY8ouMmYX6Ygc"


def test_a_pkce_challenge_issues_an_auth_code_for_an_oauth_app_on_a_connected_account(
    sdk: Sdk, control: ControlClient, upload: Uploader
) -> None:
    app = upload(manifest(stripe_api_access_type="oauth"))["app"]
    client = sdk("test")
    acting = {"stripe_account": control.create_account(connected_to=control.keys()["default"]["account"])["account"]}
    pkce = {"code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    install = client.v1.apps.installs.create({"app": app, "channel": "public", **pkce}, acting)
    assert install.auth_code is not None and install.auth_code.startswith("ac_")
    assert client.v1.apps.installs.retrieve(install.id, {}, acting).auth_code == install.auth_code
    assert client.v1.apps.installs.update(install.id, {}, acting).auth_code == install.auth_code  # reauthorize keeps it
    # A second create with a new challenge returns the same install with a new code; without one, the code stays.
    renewed = {"code_challenge": NEW_CHALLENGE, "code_challenge_method": "S256"}
    again = client.v1.apps.installs.create({"app": app, "channel": "public", **renewed}, acting)
    assert again.id == install.id and again.auth_code not in (None, install.auth_code)
    plain = client.v1.apps.installs.create({"app": app, "channel": "public"}, acting)
    assert plain.auth_code == again.auth_code


def test_a_pkce_challenge_is_ignored_on_ones_own_account_and_for_other_apps(
    sdk: Sdk, platform: dict[str, Any], upload: Uploader
) -> None:
    client = sdk("test")
    pkce = {"code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    own_oauth = upload(manifest("com.example.oauth", stripe_api_access_type="oauth"))["app"]
    assert client.v1.apps.installs.create({"app": own_oauth, "channel": "private_test", **pkce}).auth_code is None
    acting = {"stripe_account": platform["connected"][0]}
    platform_app = client.v1.apps.installs.create({"app": platform["app"], "channel": "public", **pkce}, acting)
    assert platform_app.auth_code is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"code_challenge": "too-short"}, "43 to 128 characters"),
        ({"code_challenge": CHALLENGE + "+/="}, "43 to 128 characters"),
        ({"code_challenge_method": "S256"}, "without code_challenge"),
    ],
)
def test_a_malformed_pkce_challenge_is_refused_naming_code_challenge(
    sdk: Sdk, platform: dict[str, Any], params: dict[str, str], expected: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk("test").v1.apps.installs.create(
            {"app": platform["app"], "channel": "public", **params}, {"stripe_account": platform["connected"][0]}
        )
    assert refused.value.http_status == 400 and refused.value.param == "code_challenge"
    assert expected in str(refused.value.user_message)


def test_a_challenge_needs_its_method(sdk: Sdk, platform: dict[str, Any]) -> None:
    """`code_challenge_method`: "Required when `code_challenge` is provided" (SDK `InstallCreateParams`)."""
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk("test").v1.apps.installs.create(
            {"app": platform["app"], "channel": "public", "code_challenge": CHALLENGE},
            {"stripe_account": platform["connected"][0]},
        )
    assert (refused.value.code, refused.value.param) == ("parameter_missing", "code_challenge_method")


def test_code_challenge_method_is_s256_only(sdk: Sdk, platform: dict[str, Any]) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk("test").v1.apps.installs.create(
            {
                "app": platform["app"],
                "channel": "public",
                "code_challenge": CHALLENGE,
                "code_challenge_method": "plain",
            },
            {"stripe_account": platform["connected"][0]},
        )
    assert refused.value.param == "code_challenge_method"


def test_through_stripe_account_a_developer_sees_only_its_own_apps_installs(
    sdk: Sdk, platform: dict[str, Any], upload: Uploader, server: RunningEmulator
) -> None:
    """Retrieve and list name the installing account, the app's developer and the embedding platform: acting on a
    connected account, a developer sees that account's installs of its apps, not of others' apps."""
    first, key = platform["connected"][0], platform["connected_keys"][0]
    own = stripe.StripeClient(key, base_addresses={"api": server.url})
    other_app = upload(manifest(app_id="com.connected.own"), key=key)["app"]
    theirs = own.v1.apps.installs.create({"app": other_app, "channel": "private_test"})
    developer = sdk("test")
    acting = {"stripe_account": first}
    mine = developer.v1.apps.installs.create({"app": platform["app"], "channel": "public"}, acting)
    assert [found.id for found in developer.v1.apps.installs.list({}, acting).data] == [mine.id]
    with pytest.raises(stripe.InvalidRequestError) as hidden:
        developer.v1.apps.installs.retrieve(theirs.id, {}, acting)
    assert hidden.value.code == "resource_missing"
    assert sorted(found.id for found in own.v1.apps.installs.list().data) == sorted([mine.id, theirs.id])


def test_a_list_filters_by_the_authenticated_account_only(sdk: Sdk, platform: dict[str, Any]) -> None:
    """`account`: "other lists only accept the authenticated account" (SDK `InstallListParams.account`)."""
    developer = sdk("test")
    assert developer.v1.apps.installs.list({"account": platform["account"]}).data == []
    with pytest.raises(stripe.InvalidRequestError) as refused:
        developer.v1.apps.installs.list({"account": platform["connected"][0]})
    assert refused.value.param == "account" and refused.value.http_status == 400
    # The developer's own-key listing of its app may name an installing account.
    developer.v1.apps.installs.create(
        {"app": platform["app"], "channel": "public"}, {"stripe_account": platform["connected"][0]}
    )
    found = developer.v1.apps.installs.list({"app": platform["app"], "account": platform["connected"][0]})
    assert [install.account for install in found.data] == [platform["connected"][0]]
