"""Waiting for Stripe's asynchronous transitions: poll with a deadline, never forever."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from pulumi_stripe_apps.errors import PollTimeoutError

T = TypeVar("T")


def wait_until(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float,
    action: str,
    subject: str,
    describe: Callable[[T], str] = repr,
    interval: float = 0.1,
    max_interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Calls `fetch` until `done` holds; the first check happens at once, waits grow to `max_interval`."""
    deadline = clock() + timeout
    while True:
        current = fetch()
        if done(current):
            return current
        if clock() >= deadline:
            raise PollTimeoutError(
                action,
                subject,
                f"still {describe(current)} after {timeout:.0f}s",
                fix="run `pulumi up` again to resume waiting, or raise stripe-apps:pollTimeout",
            )
        sleep(interval)
        interval = min(interval * 1.5, max_interval)
