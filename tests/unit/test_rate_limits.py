"""Rate limits: the emulator's model of Stripe's (a global budget per account and mode, 25/s per endpoint counted
against it too), and the provider's own backoff from their 429s, which carry no Stripe-Should-Retry."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.http import STRIPE_VERSION, StripeHttp, form_pairs
from pulumi_stripe_apps.pacing import Pacer
from pulumi_stripe_apps.retry import RATE_LIMIT_RETRIES
from stripe_apps_emulator.models.ratelimits import RateLimiter
from tests.support.clock import FakeClock

INSTALLS = "POST /v1/apps/installs"
ENDPOINTS = [INSTALLS, "GET /v1/apps/installs/{id}", "POST /v1/apps/installs/{id}", "GET /v1/apps/installs"]
RATE_LIMIT = {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}}


def limiter(clock: FakeClock) -> RateLimiter:
    return RateLimiter(source=clock)


def admitted(limits: RateLimiter, count: int, endpoint: str | None, *, account: str = "acct_1", live: bool) -> int:
    return sum(limits.charge(account, live, endpoint) is None for _ in range(count))


def test_stripes_documented_defaults() -> None:
    assert RateLimiter().describe() == {"enabled": True, "live": 100, "test": 25, "endpoint": 25}


def test_each_endpoint_has_its_own_25_per_second_in_live_mode() -> None:
    limits = limiter(FakeClock())
    assert admitted(limits, 30, INSTALLS, live=True) == 25
    assert limits.charge("acct_1", True, INSTALLS) == "endpoint"
    assert limits.charge("acct_1", True, "GET /v1/apps/installs") is None  # another endpoint: its own budget


def test_endpoints_count_against_the_accounts_global_limit() -> None:
    limits = limiter(FakeClock())
    assert [admitted(limits, 25, endpoint, live=True) for endpoint in ENDPOINTS] == [25, 25, 25, 25]
    assert limits.charge("acct_1", True, "GET /v1/account") == "global"  # 100 spent, though this endpoint is fresh
    assert limits.charge("acct_1", True, None) == "global"  # a URL that names no operation spends a global token


def test_test_mode_and_sandboxes_have_25_per_second_in_all() -> None:
    limits = limiter(FakeClock())
    assert admitted(limits, 10, INSTALLS, live=False) + admitted(limits, 20, "GET /v1/apps/installs", live=False) == 25
    assert limits.charge("acct_1", False, "GET /v1/account") == "global"
    assert limits.charge("acct_1", True, INSTALLS) is None  # live mode: another budget
    assert limits.charge("acct_2", False, INSTALLS) is None  # another account (a sandbox is one): another budget


def test_a_refused_request_spends_no_token() -> None:
    limits = limiter(FakeClock())
    assert admitted(limits, 40, INSTALLS, live=True) == 25  # 15 refused by the endpoint's limit
    assert admitted(limits, 100, "GET /v1/apps/installs", live=True) == 25
    assert admitted(limits, 100, "POST /v1/apps/installs/{id}", live=True) == 25
    assert admitted(limits, 100, "GET /v1/apps/installs/{id}", live=True) == 25  # the global 100: the 15 cost nothing


def test_buckets_refill_at_their_limit_per_second_up_to_one_seconds_worth() -> None:
    clock = FakeClock()
    limits = limiter(clock)
    assert admitted(limits, 25, INSTALLS, live=True) == 25
    clock.now += 0.2
    assert admitted(limits, 25, INSTALLS, live=True) == 5  # 25/s for 0.2 s
    clock.now += 60
    assert admitted(limits, 150, None, live=True) == 100  # a bucket holds at most a second's worth


def test_settings_apply_afresh_and_off_admits_everything() -> None:
    limits = limiter(FakeClock())
    limits.configure(enabled=True, live=100, test=25, endpoint=2)
    assert admitted(limits, 5, INSTALLS, live=True) == 2
    limits.configure(enabled=False, live=1, test=1, endpoint=1)
    assert admitted(limits, 500, INSTALLS, live=True) == 500


def unpaced() -> Pacer:
    """The backoffs alone are counted here; the pace the first 429 sets is tests/unit/test_pacing.py's."""
    return Pacer(live=False, sleep=lambda _seconds: None)


def client(respond: Any, waits: list[float], seed: int = 1) -> StripeHttp:
    return StripeHttp(
        "http://emulator",
        "sk_test_1",
        transport=httpx.MockTransport(respond),
        sleep=waits.append,
        rng=random.Random(seed),
        pacer=unpaced(),
    )


def test_writes_back_off_from_rate_limits_and_keep_one_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) < 3:
            return httpx.Response(429, json=RATE_LIMIT)
        return httpx.Response(200, json={"id": "appinst_1", "status": "installed"})

    waits: list[float] = []
    found = client(respond, waits).post("/v1/apps/installs", action="installing", subject="install", data={"app": "a"})
    assert found["status"] == "installed"
    assert len(waits) == 2 and waits[1] >= waits[0] / 2
    assert len({request.headers["idempotency-key"] for request in seen}) == 1
    assert all(request.content == b"app=a" for request in seen)


def test_rate_limits_give_up_after_a_bounded_number_of_backoffs() -> None:
    attempts: list[int] = []

    def respond(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(429, json=RATE_LIMIT, headers={"Request-Id": "req_9"})

    waits: list[float] = []
    with pytest.raises(StripeAppsError) as failed:
        client(respond, waits).get("/v1/apps/installs/appinst_1", action="reading", subject="install of app_1")
    assert len(attempts) == RATE_LIMIT_RETRIES + 1 and len(waits) == RATE_LIMIT_RETRIES
    assert failed.value.code == "rate_limit" and failed.value.http_status == 429
    assert failed.value.request_id == "req_9"
    assert "lower --parallel" in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__context__ is None  # no chained traceback


def test_other_errors_are_not_retried_and_keep_the_callers_fix() -> None:
    attempts: list[int] = []
    missing = {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such app"}}

    def respond(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(404, json=missing)

    with pytest.raises(StripeAppsError) as failed:
        client(respond, []).post(
            "/v1/apps/installs", action="installing", subject="install", fix=lambda error: f"fix {error.code}"
        )
    assert attempts == [1] and failed.value.code == "resource_missing"
    assert str(failed.value).endswith("Fix: fix resource_missing")


def test_parameters_are_form_encoded_as_stripes_sdks_encode_them() -> None:
    params = {"name": "k", "scope": {"type": "user", "user": "usr_1"}, "expand": ["payload"], "skip": None, "on": True}
    assert form_pairs(params) == [
        ("name", "k"),
        ("scope[type]", "user"),
        ("scope[user]", "usr_1"),
        ("expand[0]", "payload"),
        ("on", "true"),
    ]


def test_connected_account_calls_carry_stripe_account_and_the_pinned_version() -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "appinst_1"})

    client(respond, []).get("/v1/apps/installs/appinst_1", action="reading", subject="install", account="acct_1")
    assert seen[0].headers["stripe-account"] == "acct_1"
    assert seen[0].headers["stripe-version"] == STRIPE_VERSION


def test_http_client_backs_off_from_a_rate_limit_429_without_the_retry_header() -> None:
    answers = iter([httpx.Response(429, json=RATE_LIMIT), httpx.Response(429, json=RATE_LIMIT)])
    keys: list[str | None] = []

    def respond(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers.get("idempotency-key"))
        return next(answers, httpx.Response(200, json={"id": "appupl_1"}))

    waits: list[float] = []
    client = StripeHttp(
        "http://emulator",
        "sk_test_1",
        transport=httpx.MockTransport(respond),
        sleep=waits.append,
        rng=random.Random(2),
        pacer=unpaced(),
    )
    assert client.post("/v1/apps/uploads", action="uploading", subject="app") == {"id": "appupl_1"}
    assert len(waits) == 2 and len(keys) == 3 and len(set(keys)) == 1
