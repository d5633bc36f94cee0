"""When to retry a Stripe request and how long to wait: pure functions, as the official SDKs decide."""

from __future__ import annotations

import random
from collections.abc import Mapping

INITIAL_DELAY = 0.5
MAX_DELAY = 5.0
MAX_RETRIES = 6
# Rate-limit 429s carry no `Stripe-Should-Retry`; Stripe asks callers to back off on their own. Bounded:
# about 30 s of waiting before the error reaches the user.
RATE_LIMIT_RETRIES = 8


def is_rate_limit(status: int | None, headers: Mapping[str, str] | None) -> bool:
    """A 429 that `should_retry` leaves alone: ours to back off from (lock timeouts say retry themselves)."""
    return status == 429 and (headers or {}).get("stripe-should-retry") is None


def should_retry(status: int | None, headers: Mapping[str, str] | None) -> bool:
    """`status` None means the connection failed before a response arrived."""
    if status is None:
        return True
    advice = (headers or {}).get("stripe-should-retry")
    if advice == "true":
        return True
    if advice == "false":
        return False
    return status == 409 or status >= 500


def backoff(retry_number: int, rng: random.Random) -> float:
    """Exponential from 0.5 s to 5 s with jitter (half to full), never below the initial delay."""
    delay = min(INITIAL_DELAY * 2 ** (retry_number - 1), MAX_DELAY)
    jittered: float = delay * (0.5 + rng.random() / 2)
    return max(INITIAL_DELAY, jittered)
