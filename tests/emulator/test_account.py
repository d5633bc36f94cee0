"""`GET /v1/account` through the official SDK: the key's account, a connected one, restricted keys; both surfaces."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient, RunningEmulator, running_emulator


@pytest.fixture(scope="module", params=["full", "stripe"])
def emulator(request: pytest.FixtureRequest) -> Iterator[RunningEmulator]:
    """A fresh emulator per surface; the SDK is given `url`, the control plane is on `internal_url`."""
    with running_emulator(rate_limit=False, surface=request.param) as running:
        yield running


@pytest.fixture
def control(emulator: RunningEmulator) -> Iterator[ControlClient]:
    with ControlClient(emulator.internal_url) as client:
        client.reset()
        yield client


@pytest.fixture
def keys(control: ControlClient) -> dict[str, dict[str, str]]:
    return control.keys()


def client(emulator: RunningEmulator, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": emulator.url}, max_network_retries=0)


def denied(key: str, account: str) -> str:
    return (
        f"The provided key '{key[:8]}{'*' * 8}{key[-4:]}' does not have the required permissions for this endpoint "
        f"on account '{account}'. Having the 'account_read' permission would allow this request to continue."
    )


def test_the_key_reads_its_own_account(emulator: RunningEmulator, keys: dict[str, dict[str, str]]) -> None:
    own = keys["default"]["account"]
    account = client(emulator, keys["default"]["test"]).v1.accounts.retrieve_current()
    assert (account.id, account.object, account.type) == (own, "account", "standard")
    assert isinstance(account.created, int) and account.created > 0
    # One account behind both modes' keys.
    assert client(emulator, keys["default"]["live"]).v1.accounts.retrieve_current().id == own
    # A sandbox key reads the sandbox's account.
    sandbox = client(emulator, keys["sandbox"]["test"]).v1.accounts.retrieve_current()
    assert sandbox.id == keys["sandbox"]["account"] != own


def test_the_answer_holds_only_what_the_emulator_fills(
    emulator: RunningEmulator, keys: dict[str, dict[str, str]]
) -> None:
    response = httpx.get(emulator.url + "/v1/account", auth=(keys["default"]["test"], ""))
    assert response.status_code == 200 and response.headers["Request-Id"].startswith("req_")
    body = response.json()
    assert body == {
        "id": keys["default"]["account"],
        "object": "account",
        "created": body["created"],
        "type": "standard",
    }
    refused = httpx.get(
        emulator.url + "/v1/account", params={"expand[]": "settings"}, auth=(keys["default"]["test"], "")
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "This property cannot be expanded (settings)."


def test_stripe_account_reads_the_connected_account(
    emulator: RunningEmulator, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    connected = control.create_account(connected_to=keys["default"]["account"])["account"]
    stranger = control.create_account()["account"]
    sdk = client(emulator, keys["default"]["test"])
    assert sdk.v1.accounts.retrieve_current(options={"stripe_account": connected}).id == connected
    with pytest.raises(stripe.PermissionError) as refused:
        sdk.v1.accounts.retrieve_current(options={"stripe_account": stranger})
    assert refused.value.http_status == 403
    assert refused.value.error is not None and refused.value.error.code == "account_invalid"


def test_a_restricted_key_without_account_read_is_refused_naming_the_account(
    emulator: RunningEmulator, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    key = keys["default"]["restricted_test_write"]
    own = keys["default"]["account"]
    with pytest.raises(stripe.PermissionError) as refused:
        client(emulator, key).v1.accounts.retrieve_current()
    assert refused.value.http_status == 403
    assert refused.value.error is not None and refused.value.error.code is None
    assert refused.value.error.type == "invalid_request_error"
    assert refused.value.user_message == denied(key, own)
    # Acting on a connected account, the message names that account.
    connected = control.create_account(connected_to=own)["account"]
    with pytest.raises(stripe.PermissionError) as elsewhere:
        client(emulator, key).v1.accounts.retrieve_current(options={"stripe_account": connected})
    assert elsewhere.value.user_message == denied(key, connected)


def test_the_restricted_kind_with_account_read_reads_it_and_installs(
    emulator: RunningEmulator, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    key = keys["default"]["restricted_test_install_account"]
    assert key.startswith("rk_test_")
    sdk = client(emulator, key)
    assert sdk.v1.accounts.retrieve_current().id == keys["default"]["account"]
    assert sdk.v1.apps.installs.list().data == []
    # Every account the control plane makes gets the kind too.
    other = control.create_account()
    assert (
        client(emulator, other["restricted_test_install_account"]).v1.accounts.retrieve_current().id
        == (other["account"])
    )
    # It holds no Secret Store permission.
    with pytest.raises(stripe.PermissionError) as refused:
        sdk.v1.apps.secrets.list({"scope": {"type": "account"}})
    assert "'secret_read' permission" in str(refused.value.user_message)
