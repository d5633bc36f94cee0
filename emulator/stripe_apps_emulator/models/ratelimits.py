"""Stripe's rate limits: a global budget per account and mode (100/s live, 25/s test and sandboxes) and one of
25/s for each endpoint (method and route pattern), which also counts against the global one (docs: rate-limits)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Literal

DEFAULT_LIVE = 100
DEFAULT_TEST = 25
DEFAULT_ENDPOINT = 25

Limit = Literal["global", "endpoint"]


class RateLimiter:
    """Token buckets refilled continuously at the limit per second, each holding at most one second's worth."""

    def __init__(self, enabled: bool = True, source: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._source = source
        self.configure(enabled=enabled, live=DEFAULT_LIVE, test=DEFAULT_TEST, endpoint=DEFAULT_ENDPOINT)

    def configure(self, *, enabled: bool, live: int, test: int, endpoint: int) -> None:
        with self._lock:
            self.enabled, self.live, self.test, self.endpoint = enabled, live, test, endpoint
            self._buckets: dict[tuple[str, ...], tuple[float, float]] = {}

    def describe(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "live": self.live, "test": self.test, "endpoint": self.endpoint}

    def charge(self, account: str, livemode: bool, endpoint: str | None) -> Limit | None:
        """One request on `account`'s budget; the limit that refuses it, or None when it may go ahead.

        `endpoint` is the operation (`"POST /v1/apps/installs/{id}"`: every id shares it), None for a URL that
        names none. A request takes a token from the account's global bucket and from its endpoint's, or from
        neither: a refused request spends nothing.
        """
        if not self.enabled:
            return None
        mode = "live" if livemode else "test"
        now = self._source()
        with self._lock:
            overall: tuple[str, ...] = (account, mode)
            tokens: dict[tuple[str, ...], float] = {
                overall: self._refill(overall, float(self.live if livemode else self.test), now)
            }
            if endpoint is not None:
                operation = (account, mode, endpoint)
                tokens[operation] = self._refill(operation, float(self.endpoint), now)
            refused: Limit | None = None
            if tokens[overall] < 1:
                refused = "global"
            elif any(left < 1 for left in tokens.values()):
                refused = "endpoint"
            for bucket, left in tokens.items():
                self._buckets[bucket] = (left if refused else left - 1, now)
            return refused

    def _refill(self, bucket: tuple[str, ...], rate: float, now: float) -> float:
        tokens, last = self._buckets.get(bucket, (rate, now))
        return min(rate, tokens + (now - last) * rate)
