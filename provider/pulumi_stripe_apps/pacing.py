"""Stripe's rate limits, kept on our side once Stripe says we reach them: requests then wait for their turn
instead of running into 429s.

Stripe documents a limit per account (100 requests a second in live mode, 25 in test mode and sandboxes) and a
default of 25 a second for each endpoint, counted against the account's too (docs: rate-limits). A rollout to
thousands of connected accounts is bound by them whatever `--parallel` says. Without pacing, the calls in flight
burst past the limit, get 429s and back off for at least half a second each, leaving the limit idle; with it,
they leave at the pace Stripe accepts. Pacing starts at the first rate-limit 429 a key gets, not before: an
account whose limits Stripe raised, or an API with none (the emulator with its limits off), is never held to
the documented defaults until it refuses a request. The request refused still backs off (another client may
share the account), and so does any later 429.

One pacer per key and API base (a StripeHttp): Stripe charges a request made with `Stripe-Account` to the key's
own account, so every call a provider process makes with one key shares its buckets.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

LIVE_PER_SECOND = 100.0
TEST_PER_SECOND = 25.0
ENDPOINT_PER_SECOND = 25.0
# Our buckets hold half of what Stripe's do (one second's worth): requests reach Stripe with some jitter, and
# the half second of slack absorbs it instead of turning it into 429s.
BURST_SECONDS = 0.5
_ID = re.compile(r"/(?:[a-z]+_[A-Za-z0-9]+)(?=/|$)")


def endpoint_of(method: str, path: str) -> str:
    """The endpoint a request is counted on: its method and route, every object id alike."""
    return f"{method.upper()} {_ID.sub('/{id}', path.split('?', 1)[0])}"


@dataclass
class _Bucket:
    rate: float
    # When the bucket is next empty of backlog: a request may leave at `ready - BURST_SECONDS` at the earliest.
    ready: float = 0.0

    def reserve(self, now: float) -> float:
        """The earliest moment a request may leave, given those already reserved."""
        return max(now, self.ready - BURST_SECONDS)

    def take(self, at: float) -> None:
        self.ready = max(self.ready, at) + 1 / self.rate


class Pacer:
    """Once engaged, reserves each request a moment to leave that keeps the key's account and the request's
    endpoint within their limits; `wait` sleeps until then (outside the lock, so other threads keep reserving)."""

    def __init__(
        self,
        *,
        live: bool,
        endpoint_per_second: float = ENDPOINT_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._overall = _Bucket(LIVE_PER_SECOND if live else TEST_PER_SECOND)
        self._endpoint_rate = endpoint_per_second
        self._endpoints: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._engaged = False
        self._empty_from = 0.0  # where a new endpoint's bucket starts: spent, like the account's, at the first 429

    @property
    def engaged(self) -> bool:
        return self._engaged

    def engage(self) -> None:
        """Stripe refused a request with a rate-limit 429: from now on, every request keeps to the limits. The
        account's budget is spent, so the pace starts after half a second without a burst: Stripe's bucket has
        refilled by half then, slack for the jitter of requests in flight."""
        with self._lock:
            if self._engaged:
                return
            self._engaged = True
            start = self._clock() + 2 * BURST_SECONDS
            self._overall.ready = start
            self._empty_from = start

    def wait(self, method: str, path: str) -> float:
        """Waits for the request's turn, once engaged; returns how long it waited."""
        if not self._engaged:  # read without the lock: a request racing the first 429 goes as it would have
            return 0.0
        with self._lock:
            now = self._clock()
            endpoint = self._endpoints.setdefault(
                endpoint_of(method, path), _Bucket(self._endpoint_rate, self._empty_from)
            )
            at = max(self._overall.reserve(now), endpoint.reserve(now))
            self._overall.take(at)
            endpoint.take(at)
        delay = at - now
        if delay > 0:
            self._sleep(delay)  # the pace Stripe accepts, not a synchronization
        return max(delay, 0.0)
