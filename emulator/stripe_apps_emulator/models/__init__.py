"""The emulator's state and behaviour (moto-style backend), independent of HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..clock import Clock
from ..store import Store
from .accounts import Accounts, Caller
from .apps import Apps
from .events import Events
from .faults import Faults
from .idempotency import Idempotency
from .installs import Installs
from .ratelimits import DEFAULT_ENDPOINT, DEFAULT_LIVE, DEFAULT_TEST, RateLimiter
from .secrets import Secrets
from .transitions import Transitions

__all__ = ["Backend", "Caller"]


class Backend:
    """Everything the emulator knows; persistent parts live in the store, the rest in memory."""

    def __init__(self, data_dir: str | Path | None = None, *, rate_limit: bool = True) -> None:
        self.store = Store(data_dir)
        self.clock = Clock(float(self.store.meta_get("clock_offset", 0.0)))
        self.accounts = Accounts(self)
        self.apps = Apps(self)
        self.installs = Installs(self)
        self.secrets = Secrets(self)
        self.events = Events(self)
        self.idempotency = Idempotency(self)
        self.transitions = Transitions(self)
        self.faults = Faults()
        self._rate_limit_default = rate_limit
        self.rate_limits = RateLimiter(enabled=rate_limit)
        self.request_log: list[dict[str, Any]] = []
        with self.store.transaction():
            if not self.store.meta_get("seeded", False):
                self.accounts.seed()
                self.store.meta_set("seeded", True)

    def reset(self) -> None:
        """Back to the deterministic seed: objects, clock, transitions, faults, limits and logs."""
        with self.store.transaction():
            self.store.clear()
            self.clock.set_offset(0.0)
            self.accounts.seed()
            self.store.meta_set("seeded", True)
        self.faults.clear()
        self.rate_limits.configure(
            enabled=self._rate_limit_default, live=DEFAULT_LIVE, test=DEFAULT_TEST, endpoint=DEFAULT_ENDPOINT
        )
        self.request_log.clear()

    def advance_clock(self, seconds: float) -> float:
        self.clock.advance(seconds)
        self.store.meta_set("clock_offset", self.clock.offset)
        return self.clock.now()

    def dump(self) -> dict[str, Any]:
        return {
            "clock": {"now": self.clock.now(), "offset": self.clock.offset},
            "transitions": self.transitions.config,
            "faults": self.faults.describe(),
            "rate_limits": self.rate_limits.describe(),
            "objects": {kind: self.store.all(kind) for kind in self.store.kinds()},
        }
