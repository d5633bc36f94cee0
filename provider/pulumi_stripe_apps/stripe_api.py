"""Clients for the Stripe API, one per (API base, key), shared by every call of a provider process."""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pulumi_stripe_apps.settings import Mode, Settings

if TYPE_CHECKING:
    from pulumi_stripe_apps.http import StripeHttp


class _ClientPool:
    """A refresh of a hundred installs would otherwise pay a new client and a new connection per call.

    The engine serves up to four calls at once, so access is locked; httpx clients themselves are safe
    to share between threads. Clients close at exit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], StripeHttp] = {}
        atexit.register(self.close)

    def get(self, api_base: str, key: str) -> StripeHttp:
        from pulumi_stripe_apps.http import StripeHttp  # noqa: PLC0415 - httpx loads at the first call; preview needs none

        with self._lock:
            found = self._clients.get((api_base, key))
            if found is None:
                found = self._clients[(api_base, key)] = StripeHttp(api_base, key)
            return found

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


CLIENTS = _ClientPool()


@contextlib.contextmanager
def client_for(settings: Settings, mode: Mode) -> Iterator[StripeHttp]:
    """The client for one mode's key."""
    yield CLIENTS.get(settings.api_base, settings.key_for(mode))
