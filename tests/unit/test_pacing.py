"""The provider's own pacing: once Stripe refuses a request with a rate-limit 429, requests leave at the pace
Stripe's documented limits accept, so a rollout runs at the limit instead of into 429s. Checked against the
emulator's model of those limits, on a clock that moves only when a request waits."""

from __future__ import annotations

import random
import threading
from typing import Any

import httpx
import pytest

from pulumi_stripe_apps import poll
from pulumi_stripe_apps.errors import OperationCancelledError
from pulumi_stripe_apps.http import StripeHttp
from pulumi_stripe_apps.pacing import BURST_SECONDS, ENDPOINT_PER_SECOND, Pacer, endpoint_of
from stripe_apps_emulator.models.ratelimits import RateLimiter
from tests.support.clock import FakeClock

RATE_LIMIT = {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}}


def pacer(clock: FakeClock, *, live: bool) -> Pacer:
    """Engaged on a fresh account whose budget is full (the engaged pace without the empty start)."""
    paced = Pacer(live=live, clock=clock, sleep=clock.sleep)
    clock.now -= 3 * BURST_SECONDS
    paced.engage()
    clock.now += 3 * BURST_SECONDS
    return paced


@pytest.mark.parametrize(
    ("method", "path", "endpoint"),
    [
        ("post", "/v1/apps/installs", "POST /v1/apps/installs"),
        ("GET", "/v1/apps/installs/appinst_1Abc?expand[]=x", "GET /v1/apps/installs/{id}"),
        ("POST", "/v1/apps/installs/appinst_9", "POST /v1/apps/installs/{id}"),
        ("GET", "/v1/apps/secrets/find", "GET /v1/apps/secrets/find"),
        ("GET", "/v1/accounts/acct_1X/persons", "GET /v1/accounts/{id}/persons"),
    ],
)
def test_a_request_counts_on_its_method_and_route_every_id_alike(method: str, path: str, endpoint: str) -> None:
    assert endpoint_of(method, path) == endpoint


def test_one_endpoint_bursts_half_a_second_then_keeps_to_25_a_second() -> None:
    clock = FakeClock(start=1000.0)
    paced = pacer(clock, live=True)
    start = clock.now
    waits = [paced.wait("POST", "/v1/apps/installs") for _ in range(100)]
    burst = int(BURST_SECONDS * ENDPOINT_PER_SECOND) + 1
    assert waits[:burst] == [0.0] * burst
    assert all(wait > 0 for wait in waits[burst:])
    assert clock.now - start == pytest.approx((100 - 1) / ENDPOINT_PER_SECOND - BURST_SECONDS)
    # another endpoint has its own budget
    assert paced.wait("GET", "/v1/apps/installs/appinst_1") == 0.0


def test_test_mode_keeps_to_25_a_second_across_endpoints() -> None:
    clock = FakeClock(start=1000.0)
    paced = pacer(clock, live=False)
    start = clock.now
    for index in range(100):
        paced.wait("GET", f"/v1/apps/route{index % 4}")
    assert clock.now - start == pytest.approx(99 / 25 - BURST_SECONDS)


@pytest.mark.parametrize("live", [True, False])
def test_stripes_limits_refuse_nothing_the_pacer_lets_through(live: bool) -> None:
    """The emulator's model of Stripe's limits (its own code, the oracle), on the same clock, with requests
    arriving up to 100 ms late: not one 429."""
    clock, jitter = FakeClock(start=1000.0), random.Random(7)
    paced, stripe = pacer(clock, live=live), RateLimiter(source=clock)
    routes = ["POST /v1/apps/installs", "GET /v1/apps/installs/{id}", "GET /v1/apps/uploads/{id}", "GET /v1/account"]
    refused = []
    for index in range(2000):
        method, path = routes[jitter.randrange(len(routes))].split()
        paced.wait(method, path.replace("{id}", f"x_{index}"))
        delay = jitter.random() * 0.1
        clock.now += delay  # in flight
        refused.append(stripe.charge("acct_1", live, f"{method} {path}"))
        clock.now -= delay  # the next request leaves on the pacer's schedule, not after this one lands
    assert refused.count(None) == 2000


def test_nothing_waits_until_stripe_refuses_a_request() -> None:
    """An account whose limits Stripe raised, or an API without any (the emulator with its limits off), is not
    held to the documented defaults."""
    clock = FakeClock(start=1000.0)
    paced = Pacer(live=False, clock=clock, sleep=clock.sleep)
    assert {paced.wait("GET", "/v1/apps/installs/appinst_1") for _ in range(500)} == {0.0}
    paced.engage()
    # Stripe's budget is spent: half a second for it to refill by half, then the pace, without a burst
    assert paced.wait("GET", "/v1/apps/installs/appinst_1") == pytest.approx(BURST_SECONDS)
    assert paced.wait("GET", "/v1/apps/installs/appinst_1") == pytest.approx(1 / 25)


def test_the_first_rate_limit_429_paces_every_later_request_of_the_key() -> None:
    clock, answers = FakeClock(start=1000.0), iter([httpx.Response(200, json={}), httpx.Response(429, json=RATE_LIMIT)])
    backoffs: list[float] = []
    client = StripeHttp(
        "http://emulator",
        "sk_live_1",
        transport=httpx.MockTransport(lambda request: next(answers, httpx.Response(200, json={}))),
        sleep=backoffs.append,
        rng=random.Random(3),
        pacer=Pacer(live=True, clock=clock, sleep=clock.sleep),
    )
    start = clock.now
    client.get("/v1/apps/installs/appinst_1", action="reading", subject="install")  # no wait, no pacing yet
    client.get("/v1/apps/installs/appinst_1", action="reading", subject="install")  # 429: backs off, then paced
    assert len(backoffs) == 1 and clock.now - start == pytest.approx(BURST_SECONDS)
    for _ in range(25):
        client.get("/v1/apps/installs/appinst_2", action="reading", subject="install")
    assert clock.now - start == pytest.approx(BURST_SECONDS + 25 / 25)  # 25 a second on the endpoint from then


def cancel_aware_client(respond: Any, pacer: Pacer | None = None) -> StripeHttp:
    """The client as the native plugin builds it: its waits are `poll.pause`, which the engine's Cancel ends."""
    return StripeHttp("http://emulator", "sk_live_1", transport=httpx.MockTransport(respond), pacer=pacer)


def test_a_cancel_ends_a_rate_limit_backoff_and_nothing_more_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while a request is refused: the backoff (an hour here, were it not cut short) ends at once."""
    monkeypatch.setattr("pulumi_stripe_apps.http.backoff", lambda _attempt, _rng: 3600.0)
    cancelled, sent = threading.Event(), []

    def respond(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        cancelled.set()  # the engine's Cancel arrives while the request is in flight
        return httpx.Response(429, json=RATE_LIMIT)

    with poll.engine_operation("create", 0, cancelled), pytest.raises(OperationCancelledError) as stopped:
        cancel_aware_client(respond).post("/v1/apps/installs", action="installing", subject="install of app_1")
    assert len(sent) == 1
    assert "waited to be retried or for its turn under Stripe's rate limits" in str(stopped.value)
    assert "run `pulumi up` again" in str(stopped.value)


def test_a_cancel_ends_a_pacing_wait_before_the_request_leaves() -> None:
    paced, cancelled, sent = Pacer(live=True, sleep=poll.pause), threading.Event(), []
    paced.engage()  # the account's budget is spent: the next request waits its turn (half a second and more)
    cancelled.set()
    with poll.engine_operation("create", 0, cancelled), pytest.raises(OperationCancelledError):
        cancel_aware_client(lambda request: sent.append(request) or httpx.Response(200, json={}), paced).get(
            "/v1/apps/installs/appinst_1", action="reading", subject="install of app_1"
        )
    assert sent == []


def test_outside_an_engine_operation_a_cancel_of_another_operation_ends_no_wait() -> None:
    """Waits read the cancel signal of the operation running in their own context: the dynamic front's calls,
    outside any, and other operations' never stop for it."""
    cancelled, waits = threading.Event(), []
    with poll.engine_operation("create", 0, cancelled):
        cancelled.set()
    clock = FakeClock(start=1000.0)
    paced = Pacer(live=True, clock=clock, sleep=lambda seconds: waits.append(seconds) or clock.sleep(seconds))
    paced.engage()
    client = cancel_aware_client(lambda request: httpx.Response(200, json={"id": "appinst_1"}), paced)
    assert client.get("/v1/apps/installs/appinst_1", action="reading", subject="install")["id"] == "appinst_1"
    assert waits == [pytest.approx(BURST_SECONDS)]  # waited its turn, then sent
