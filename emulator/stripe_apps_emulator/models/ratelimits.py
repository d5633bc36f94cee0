"""Token buckets per account and mode: Stripe's 100 req/s live, 25 req/s in test and sandboxes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

DEFAULT_LIVE = 100
DEFAULT_TEST = 25


class RateLimiter:
    def __init__(self, enabled: bool = True, source: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._source = source
        self.configure(enabled=enabled, live=DEFAULT_LIVE, test=DEFAULT_TEST)

    def configure(self, *, enabled: bool, live: int, test: int) -> None:
        with self._lock:
            self.enabled, self.live, self.test = enabled, live, test
            self._buckets: dict[str, tuple[float, float]] = {}

    def describe(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "live": self.live, "test": self.test}

    def allow(self, bucket: str, livemode: bool) -> bool:
        """Take one token from the bucket; False when it is empty."""
        if not self.enabled:
            return True
        rate = float(self.live if livemode else self.test)
        now = self._source()
        with self._lock:
            tokens, last = self._buckets.get(bucket, (rate, now))
            tokens = min(rate, tokens + (now - last) * rate)
            if tokens < 1:
                self._buckets[bucket] = (tokens, now)
                return False
            self._buckets[bucket] = (tokens - 1, now)
            return True
