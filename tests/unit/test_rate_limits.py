"""Rate-limit 429s: Stripe sends no Stripe-Should-Retry on them, so the provider backs off on its own."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.http import STRIPE_VERSION, StripeHttp, form_pairs
from pulumi_stripe_apps.retry import RATE_LIMIT_RETRIES

RATE_LIMIT = {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}}


def client(respond: Any, waits: list[float], seed: int = 1) -> StripeHttp:
    return StripeHttp(
        "http://emulator",
        "sk_test_1",
        transport=httpx.MockTransport(respond),
        sleep=waits.append,
        rng=random.Random(seed),
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
        "http://emulator", "sk_test_1", transport=httpx.MockTransport(respond), sleep=waits.append, rng=random.Random(2)
    )
    assert client.post("/v1/apps/uploads", action="uploading", subject="app") == {"id": "appupl_1"}
    assert len(waits) == 2 and len(keys) == 3 and len(set(keys)) == 1
