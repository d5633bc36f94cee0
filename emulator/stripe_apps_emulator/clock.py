"""The emulator clock: real time plus an offset that the control plane advances."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """Real time shifted by `offset` seconds; the offset only ever grows."""

    def __init__(self, offset: float = 0.0, source: Callable[[], float] = time.time) -> None:
        self._offset = offset
        self._source = source
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        return self._source() + self._offset

    def now_int(self) -> int:
        return int(self.now())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds

    def set_offset(self, offset: float) -> None:
        with self._lock:
            self._offset = offset
