"""Concurrent reads of the same thing share one request, and every caller gets an answer as fresh as its own.

A rollout installs one app on many accounts at once, and every install reads the app's Version History first (the
version rule). Those reads ask the same question at the same moment. Sharing a request that is already under way
would hand a caller an answer older than its question; so a caller that arrives while a read runs waits for the
*next* one, which starts when the running one ends and serves everyone who arrived meanwhile. No answer is kept
after it is handed out: the next caller after that reads afresh. Fewer requests, never a cached answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Read(Generic[V]):
    done: threading.Event
    value: V | None = None
    error: BaseException | None = None

    def outcome(self) -> V:
        if self.error is not None:
            raise self.error  # the same error in each caller's thread: what it says is the read's, not a caller's
        return self.value  # type: ignore[return-value]  # set when no error was


class SharedReads(Generic[K, V]):
    """`get(key, read)`: the value `read()` returns, from a call that started after this one began."""

    def __init__(self, event: Callable[[], threading.Event] = threading.Event) -> None:
        self._event = event
        self._lock = threading.Lock()
        self._running: dict[K, _Read[V]] = {}
        self._next: dict[K, _Read[V]] = {}  # not started yet: whoever arrives joins it

    def get(self, key: K, read: Callable[[], V]) -> V:
        ahead: _Read[V] | None = None
        with self._lock:
            joined = self._next.get(key)
            if joined is None:
                mine = _Read[V](self._event())
                ahead = self._running.get(key)
                (self._running if ahead is None else self._next)[key] = mine
        if joined is not None:
            joined.done.wait()
            return joined.outcome()
        if ahead is not None:
            ahead.done.wait()
            with self._lock:  # from here on, a new arrival waits for the read after this one
                self._running[key] = self._next.pop(key)
        try:
            mine.value = read()
        except BaseException as error:  # every caller of this read raises it, this one too (outcome)
            mine.error = error
        finally:
            with self._lock:
                del self._running[key]
            mine.done.set()
        return mine.outcome()
