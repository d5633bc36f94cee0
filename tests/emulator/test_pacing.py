"""The provider keeps to Stripe's limits once refused, over real sockets: calls in flight on one key run into the
emulator's limits (Stripe's documented defaults) once, then keep to them instead of backing off again and again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pulumi_stripe_apps.http import StripeHttp
from stripe_apps_emulator.testing import ControlClient, RunningEmulator

CALLERS = 8
CALLS = 60  # on one endpoint: 25 in Stripe's first second, 35 more at 25 a second


def test_calls_in_flight_keep_to_the_limit_after_the_first_429(server: RunningEmulator, control: ControlClient) -> None:
    control.rate_limits(enabled=True, live=100, test=25, endpoint=25)
    control.clear_requests()
    client = StripeHttp(server.url, control.keys()["default"]["live"])

    def call(_: int) -> str:
        answer = client.get("/v1/account", action="reading", subject="the account")
        return str(answer["id"])

    try:
        with ThreadPoolExecutor(CALLERS) as pool:
            answered = list(pool.map(call, range(CALLS)))
    finally:
        client.close()
    refused = [entry for entry in control.requests() if entry["status"] == 429]
    assert len(answered) == CALLS and len(set(answered)) == 1
    # Only calls already in flight when Stripe first refused one are refused: at most one per caller.
    assert 1 <= len(refused) <= CALLERS
