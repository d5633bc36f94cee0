"""Rate-limit 429s: Stripe sends no Stripe-Should-Retry on them, so the provider backs off on its own."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
import stripe

from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.http import StripeHttp
from pulumi_stripe_apps.retry import RATE_LIMIT_RETRIES
from pulumi_stripe_apps.stripe_api import stripe_call

RATE_LIMIT = {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}}


def rate_limit_error() -> stripe.RateLimitError:
    return stripe.RateLimitError("Too many requests", http_status=429, json_body=RATE_LIMIT, code="rate_limit")


def test_stripe_call_backs_off_from_rate_limits_and_keeps_one_idempotency_key() -> None:
    seen: list[dict[str, Any]] = []
    waits: list[float] = []

    def call(options: stripe.RequestOptions) -> str:
        seen.append(dict(options))
        if len(seen) < 3:
            raise rate_limit_error()
        return "installed"

    found = stripe_call("installing", "install", call, write=True, sleep=waits.append, rng=random.Random(1))
    assert found == "installed"
    assert len(waits) == 2 and waits[1] >= waits[0] / 2
    assert len({options["idempotency_key"] for options in seen}) == 1


def test_stripe_call_gives_up_after_a_bounded_number_of_backoffs() -> None:
    attempts: list[int] = []
    waits: list[float] = []

    def call(options: stripe.RequestOptions) -> None:
        attempts.append(1)
        raise rate_limit_error()

    with pytest.raises(StripeAppsError) as failed:
        stripe_call("installing", "install of app_1", call, sleep=waits.append, rng=random.Random(1))
    assert len(attempts) == RATE_LIMIT_RETRIES + 1 and len(waits) == RATE_LIMIT_RETRIES
    assert failed.value.code == "rate_limit" and failed.value.http_status == 429
    assert "lower --parallel" in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def test_other_errors_are_not_retried_by_stripe_call() -> None:
    attempts: list[int] = []

    def call(options: stripe.RequestOptions) -> None:
        attempts.append(1)
        raise stripe.InvalidRequestError("No such app", "app", code="resource_missing", http_status=404)

    with pytest.raises(StripeAppsError) as failed:
        stripe_call("installing", "install", call, sleep=lambda _s: None)
    assert attempts == [1] and failed.value.code == "resource_missing"


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
