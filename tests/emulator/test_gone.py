"""gone.py's decision table over a real socket: Stripe's `resource_missing` means gone only for a key acting for the
account the object was recorded on; another account's key and a state recording no account are refused naming the
accounts; every other answer (a 404 without a code, 401, 403, 5xx after retries, no connection) is the original
error, with its status, Request-Id and fix, and the key's account is never asked for it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pulumi_stripe_apps import gone
from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.gone import confirm_gone
from pulumi_stripe_apps.http import StripeHttp
from stripe_apps_emulator.testing import ControlClient, RunningEmulator

MISSING_INSTALL = "appinst_test_0000000000000000000000"
Client = Callable[..., StripeHttp]


@pytest.fixture(autouse=True)
def _accounts_of_this_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test asks afresh: the answers are kept per client object for the provider process, and this process
    makes (and drops) many clients."""
    monkeypatch.setattr(gone, "ACCOUNTS", gone._Accounts())


@pytest.fixture
def client(server: RunningEmulator) -> Iterator[Client]:
    made: list[StripeHttp] = []

    def make(key: str, api_base: str | None = None) -> StripeHttp:
        # Retries without waiting: the decision is the same, the test a second long.
        made.append(StripeHttp(api_base or server.url, key, sleep=lambda _seconds: None))
        return made[-1]

    yield make
    for found in made:
        found.close()


def lookup(http: StripeHttp, secret: bool = False) -> StripeAppsError:
    """Stripe's answer to a read of an install (or a secret), as the provider's reads and deletes meet it."""
    with pytest.raises(StripeAppsError) as caught:
        if secret:
            params = {"name": "api_token", "scope": {"type": "account"}}
            http.get("/v1/apps/secrets/find", params, action="reading", subject="secret 'api_token'")
        else:
            http.get(f"/v1/apps/installs/{MISSING_INSTALL}", action="reading", subject=f"install {MISSING_INSTALL}")
    return caught.value


def asked(control: ControlClient, path: str) -> list[dict[str, Any]]:
    return [entry for entry in control.requests() if entry["path"] == path]


def test_resource_missing_on_the_recorded_account_is_gone(
    client: Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    own = keys["default"]["account"]
    http = client(keys["default"]["test"])
    error = lookup(http)
    assert (error.http_status, error.code) == (404, "resource_missing")
    confirm_gone(error, http, recorded_account=own)  # returns: gone
    confirm_gone(lookup(http), http, recorded_account=own)
    # The key's account was asked once, for the first conclusion; the second used that answer.
    assert [entry["status"] for entry in asked(control, gone.ACCOUNT_PATH)] == [200]


def test_resource_missing_for_a_key_of_another_account_is_refused_naming_both(
    client: Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    own, other = keys["default"]["account"], control.create_account()
    http = client(other["test"])
    error = lookup(http)
    with pytest.raises(StripeAppsError) as refused:
        confirm_gone(error, http, recorded_account=own)
    found = refused.value
    assert found is not error
    assert (found.http_status, found.code, found.request_id) == (404, "resource_missing", error.request_id)
    assert f"the key acts for account {other['account']}, but this object lives on account {own}" in str(found)
    assert found.fix is not None and f"configure the key of {own}" in found.fix
    assert f"request {error.request_id}" in str(found) and f"\nFix: {found.fix}" in str(found)


def test_resource_missing_with_no_recorded_account_is_refused(client: Client, keys: dict[str, dict[str, str]]) -> None:
    http = client(keys["default"]["test"])
    error = lookup(http)
    with pytest.raises(StripeAppsError) as refused:
        confirm_gone(error, http, recorded_account=None)
    found = refused.value
    assert f"resource_missing for the key's account {keys['default']['account']}" in found.detail
    assert "records no account" in found.detail
    assert (found.http_status, found.request_id) == (404, error.request_id)
    assert found.fix is not None and "pulumi refresh" in found.fix and "pulumi state delete" in found.fix


def test_a_restricted_key_that_may_not_read_the_account_names_it_in_its_403(
    client: Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    own, other = keys["default"]["account"], control.create_account()
    http = client(keys["default"]["restricted_test_write"])
    confirm_gone(lookup(http), http, recorded_account=own)  # returns: gone
    (account_read,) = asked(control, gone.ACCOUNT_PATH)
    assert account_read["status"] == 403  # and its message named the account, which is the answer
    with pytest.raises(StripeAppsError) as refused:
        confirm_gone(lookup(http), http, recorded_account=other["account"])
    assert f"the key acts for account {own}, but this object lives on account {other['account']}" in str(refused.value)


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# (name, what makes the answer, its HTTP status or None without a response, a fragment of its fix)
OTHER_ANSWERS = [
    ("unrouted", "api base with /v1", 404, "is stripe-apps:apiBase the API root, without /v1?"),
    ("unauthorized", "a key Stripe never issued", 401, "the API key was refused"),
    ("forbidden", "a secret read with a key holding install permissions only", 403, "give the key the permission"),
    ("server error", "500 on every try", 500, ""),
    ("no connection", "a closed port", None, "check stripe-apps:apiBase and the network"),
]


@pytest.mark.parametrize(("name", "cause", "status", "fix"), OTHER_ANSWERS, ids=[row[0] for row in OTHER_ANSWERS])
def test_any_other_answer_is_the_original_error_with_its_fix(
    client: Client,
    server: RunningEmulator,
    control: ControlClient,
    keys: dict[str, dict[str, str]],
    name: str,
    cause: str,
    status: int | None,
    fix: str,
) -> None:
    own = keys["default"]["account"]
    key, api_base = keys["default"]["test"], None
    if name == "unrouted":
        api_base = server.url + "/v1"
    elif name == "unauthorized":
        key = "sk_test_51EmuUnknownKey" + "0" * 26
    elif name == "forbidden":
        # The Install API answers a missing install before it checks permissions; the Secret Store checks first.
        key = keys["default"]["restricted_test_write"]
    elif name == "server error":
        control.set_faults(1, [{"route": "GET /v1/apps/installs/*", "kind": "error_before", "probability": 1}])
    else:
        api_base = closed_port()
    http = client(key, api_base)
    error = lookup(http, secret=name == "forbidden")
    with pytest.raises(StripeAppsError) as raised:
        confirm_gone(error, http, recorded_account=own)
    assert raised.value is error, cause  # the answer itself, unchanged: never taken for gone nor refused
    assert error.http_status == status
    if status is not None:
        (answer,) = [entry for entry in control.requests() if entry["request_id"] == error.request_id]
        assert answer["status"] == status and f"request {error.request_id}" in str(error)
    assert error.fix, f"{cause}: no fix in {error}"
    assert fix in error.fix and str(error).endswith(f"\nFix: {error.fix}")
    assert asked(control, gone.ACCOUNT_PATH) == []  # only a conclusion of "gone" asks who the key is


def test_an_object_found_by_name_refuses_a_key_of_another_account_before_any_call(
    server: RunningEmulator, control: ControlClient, client: Client
) -> None:
    ours = server.keys["default"]["account"]
    other = control.create_account()
    gone.require_account(client(server.keys["default"]["test"]), ours, action="reading", subject="secret 'api_token'")
    gone.require_account(client(other["test"]), None, action="reading", subject="nothing recorded, nothing asked")
    control.clear_requests()
    with pytest.raises(StripeAppsError) as refused:
        gone.require_account(client(other["test"]), ours, action="updating", subject="secret 'api_token'")
    text = str(refused.value)
    assert ours in text and other["account"] in text and "\nFix: configure the key of " + ours in text
    assert [entry["path"] for entry in control.requests() if entry["path"].startswith("/v1/")] == ["/v1/account"]
