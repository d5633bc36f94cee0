"""The request pipeline: auth, errors, idempotency, faults, rate limits and isolation."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import stripe

from stripe_apps_emulator.testing import ControlClient

from .conftest import Uploader

Sdk = Callable[..., stripe.StripeClient]


def _code(exc: stripe.StripeError) -> str | None:
    """The wire `code`: the SDK sets `.code` only on some exception classes, `.error` on all."""
    assert exc.error is not None
    return exc.error.code


def _assert_envelope(response: httpx.Response, status: int, type_: str, code: str | None) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["Request-Id"].startswith("req_")
    error = response.json()["error"]
    assert error["type"] == type_ and error.get("code") == code
    assert set(error) >= {"type", "message", "request_log_url"}
    if code:
        assert error["doc_url"] == "https://stripe.com/docs/error-codes/" + code.replace("_", "-")
    else:
        assert "code" not in error and "doc_url" not in error
    return dict(error)


def test_authentication(http: httpx.Client, keys: dict[str, dict[str, str]], control: ControlClient, sdk: Sdk) -> None:
    _assert_envelope(http.get("/v1/apps/installs"), 401, "invalid_request_error", None)
    _assert_envelope(
        http.get("/v1/apps/installs", headers={"Authorization": "Bearer sk_test_nope"}),
        401,
        "invalid_request_error",
        None,
    )
    bearer = http.get("/v1/apps/installs", headers={"Authorization": f"Bearer {keys['default']['test']}"})
    assert bearer.status_code == 200 and bearer.headers["Stripe-Version"] == "2026-09-30.endive"
    versioned = http.get(
        "/v1/apps/installs",
        auth=(keys["default"]["test"], ""),
        headers={"Stripe-Version": "2025-01-27.acacia"},
    )
    assert versioned.headers["Stripe-Version"] == "2025-01-27.acacia"
    control.revoke_key(keys["default"]["test"])
    expired = _assert_envelope(
        http.get("/v1/apps/installs", auth=(keys["default"]["test"], "")),
        401,
        "invalid_request_error",
        None,
    )
    assert str(expired["message"]).startswith("Expired API Key provided: sk_test_********")
    with pytest.raises(stripe.AuthenticationError) as caught:
        sdk().v1.apps.installs.list()
    assert _code(caught.value) is None
    assert caught.value.request_id


def test_unknown_route_and_control_plane_request_ids(http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    error = _assert_envelope(http.get("/v1/x", auth=(keys["default"]["test"], "")), 404, "invalid_request_error", None)
    assert str(error["message"]).startswith("Unrecognized request URL (GET: /v1/x)")
    assert http.get("/_emulator/keys").headers["Request-Id"].startswith("req_")
    _assert_envelope(
        http.post("/_emulator/transitions", json={"install": "sometimes"}), 400, "invalid_request_error", None
    )
    _assert_envelope(http.get("/_emulator/nope"), 404, "invalid_request_error", None)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/apps/installs", "app[a][b]=1&app=2"),
        ("POST", "/v1/apps/installs", "%ff%fe=\x00&app[=1"),
        ("POST", "/v1/apps/secrets", "scope=account&name=a&payload=b"),
        ("POST", "/v1/apps/secrets", "scope[type][0]=account&name=a&payload=b"),
        ("GET", "/v1/apps/installs?limit=abc", ""),
        ("GET", "/v1/apps/installs?created[between]=1", ""),
        ("GET", "/v1/apps/installs?expand[0][x]=1", ""),
        ("POST", "/v1/apps/uploads", "manifest=x"),
        (
            "POST",
            "/v1/apps/secrets",
            "expires_at=99999999999999999999999&name=a&payload=b&scope[type]=account",
        ),
    ],
)
def test_bad_requests_get_envelopes(
    http: httpx.Client, keys: dict[str, dict[str, str]], method: str, path: str, body: str
) -> None:
    response = http.request(
        method,
        path,
        content=body,
        auth=(keys["default"]["test"], ""),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["Request-Id"].startswith("req_")
    assert response.json()["error"]["message"]


def test_idempotent_replay_and_mismatch(
    sdk: Sdk, upload: Uploader, http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    app = upload()["app"]
    auth = (keys["default"]["test"], "")
    headers = {"Idempotency-Key": "k1"}
    first = http.post(
        "/v1/apps/secrets",
        data={"name": "a", "payload": "p", "scope[type]": "account"},
        headers=headers,
        auth=auth,
    )
    replay = http.post(
        "/v1/apps/secrets",
        data={"name": "a", "payload": "p", "scope[type]": "account"},
        headers=headers,
        auth=auth,
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.headers["Request-Id"] != first.headers["Request-Id"]
    with pytest.raises(stripe.IdempotencyError) as caught:
        sdk().v1.apps.secrets.create(
            {"name": "b", "payload": "p", "scope": {"type": "account"}}, {"idempotency_key": "k1"}
        )
    assert caught.value.request_id
    # validation failures are not saved: the same key then works with corrected parameters
    bad = http.post(
        "/v1/apps/installs",
        data={"app": app, "channel": "nope"},
        headers={"Idempotency-Key": "k2"},
        auth=auth,
    )
    assert bad.status_code == 400
    good = http.post(
        "/v1/apps/installs",
        data={"app": app, "channel": "private_test"},
        headers={"Idempotency-Key": "k2"},
        auth=auth,
    )
    assert good.status_code == 200
    too_long = http.post(
        "/v1/apps/secrets",
        data={"name": "c", "payload": "p", "scope[type]": "account"},
        headers={"Idempotency-Key": "x" * 256},
        auth=auth,
    )
    assert too_long.status_code == 400


def test_error_after_is_committed_and_replayed(
    sdk: Sdk, control: ControlClient, http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    control.set_faults(1, [{"route": "POST /v1/apps/secrets", "kind": "error_after", "probability": 1}])
    with pytest.raises(stripe.APIError) as caught:
        sdk(retries=2).v1.apps.secrets.create(
            {"name": "a", "payload": "p", "scope": {"type": "account"}}, {"idempotency_key": "once"}
        )
    assert caught.value.http_status == 500 and _code(caught.value) is None
    assert caught.value.error is not None and caught.value.error.type == "api_error"
    control.clear_faults()
    assert sdk().v1.apps.secrets.find({"name": "a", "scope": {"type": "account"}}).name == "a"
    replay = http.post(
        "/v1/apps/secrets",
        data={"name": "a", "payload": "p", "scope[type]": "account"},
        headers={"Idempotency-Key": "once"},
        auth=(keys["default"]["test"], ""),
    )
    assert replay.status_code == 500 and replay.headers["Idempotent-Replayed"] == "true"
    posts = [r for r in control.requests() if r["method"] == "POST" and r["idempotency_key"] == "once"]
    assert len(posts) == 4 and [r["status"] for r in posts] == [500, 500, 500, 500]


def test_error_before_does_not_write(sdk: Sdk, control: ControlClient) -> None:
    control.set_faults(1, [{"route": "POST /v1/apps/*", "kind": "error_before"}])
    with pytest.raises(stripe.APIError):
        sdk().v1.apps.secrets.create({"name": "a", "payload": "p", "scope": {"type": "account"}})
    control.clear_faults()
    assert sdk().v1.apps.secrets.list({"scope": {"type": "account"}}).data == []


def test_concurrent_same_key_creates_one_object(sdk: Sdk, upload: Uploader, control: ControlClient) -> None:
    app = upload()["app"]
    control.set_faults(3, [{"route": "POST /v1/apps/installs", "kind": "latency", "latency_ms": 50}])

    def create(_: int) -> str:
        install = sdk().v1.apps.installs.create({"app": app, "channel": "private_test"}, {"idempotency_key": "same"})
        return str(install.id)

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(create, range(8)))
    assert len(ids) == 1
    assert len(sdk().v1.apps.installs.list().data) == 1
    created = sdk().v1.events.list({"type": "apps.install.created"}).data
    assert len(created) == 1


def test_fault_sequence_is_deterministic(
    http: httpx.Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    rules = [{"route": "GET /v1/apps/*", "kind": "rate_limit", "probability": 0.5}]

    def run() -> list[int]:
        control.set_faults(42, rules)
        return [http.get("/v1/apps/installs", auth=(keys["default"]["test"], "")).status_code for _ in range(12)]

    first, second = run(), run()
    assert first == second and 429 in first and 200 in first
    log = control.fault_log()
    assert [entry["fired"] for entry in log] == [status == 429 for status in second]
    limited = http.get("/v1/apps/installs", auth=(keys["default"]["test"], ""))
    while limited.status_code != 429:
        limited = http.get("/v1/apps/installs", auth=(keys["default"]["test"], ""))
    # Stripe marks only lock-timeout 429s retryable; a rate-limit 429 leaves the backoff to the caller.
    assert "Stripe-Should-Retry" not in limited.headers
    assert limited.json()["error"]["code"] == "rate_limit"


def test_lock_timeout_429_is_the_one_marked_retryable(
    http: httpx.Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    control.set_faults(1, [{"route": "GET /v1/apps/installs", "kind": "lock_timeout"}])
    locked = http.get("/v1/apps/installs", auth=(keys["default"]["test"], ""))
    control.clear_faults()
    assert locked.status_code == 429
    assert locked.headers["Stripe-Should-Retry"] == "true"
    assert locked.json()["error"]["code"] == "lock_timeout"


def test_drop_closes_the_connection(
    http: httpx.Client, control: ControlClient, keys: dict[str, dict[str, str]]
) -> None:
    control.set_faults(7, [{"route": "GET /v1/apps/installs", "kind": "drop"}])
    with pytest.raises(httpx.TransportError):
        http.get("/v1/apps/installs", auth=(keys["default"]["test"], ""))
    control.clear_faults()
    assert http.get("/v1/apps/installs", auth=(keys["default"]["test"], "")).status_code == 200


def test_rate_limit(sdk: Sdk, control: ControlClient, http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
    control.rate_limits(enabled=True, test=3, live=100)
    statuses = [http.get("/v1/apps/installs", auth=(keys["default"]["test"], "")).status_code for _ in range(6)]
    assert 429 in statuses
    with pytest.raises(stripe.RateLimitError) as caught:
        for _ in range(6):
            sdk().v1.apps.installs.list()
    assert _code(caught.value) == "rate_limit"
    # the live bucket is separate
    assert http.get("/v1/apps/installs", auth=(keys["default"]["live"], "")).status_code == 200


def test_isolation_between_accounts_and_modes(sdk: Sdk, upload: Uploader, control: ControlClient) -> None:
    app = upload()["app"]
    install = sdk().v1.apps.installs.create({"app": app, "channel": "private_test"})
    other = control.create_account()
    for client in (sdk("live"), sdk(other["test"]), sdk("test", account="sandbox")):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.apps.installs.retrieve(install.id)
        assert caught.value.code == "resource_missing"
        assert client.v1.apps.installs.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        sdk(other["test"]).v1.apps.installs.create({"app": app, "channel": "private_test"})


def test_stripe_account_header(sdk: Sdk, control: ControlClient, keys: dict[str, dict[str, str]]) -> None:
    connected = control.create_account(connected_to=keys["default"]["account"])
    stranger = control.create_account()
    client = sdk()
    client.v1.apps.secrets.create(
        {"name": "a", "payload": "p", "scope": {"type": "account"}}, {"stripe_account": connected["account"]}
    )
    found = client.v1.apps.secrets.find(
        {"name": "a", "scope": {"type": "account"}}, {"stripe_account": connected["account"]}
    )
    assert found.name == "a"
    # The secret lives in the connected account, not in the key's own account.
    assert client.v1.apps.secrets.list({"scope": {"type": "account"}}).data == []
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.apps.secrets.list({"scope": {"type": "account"}}, {"stripe_account": stranger["account"]})
    assert _code(caught.value) == "account_invalid"
