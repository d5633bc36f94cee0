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
    again = client.v1.apps.installs.create({"app": app, "channel": "public", "code_challenge": NEW_CHALLENGE}, acting)
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
