"""Asynchronous state changes, evaluated lazily against the emulator clock (never by sleeping)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from . import Backend

Mode = Literal["immediate", "delayed", "held", "fail"]
MODES: tuple[str, ...] = get_args(Mode)
KINDS = ("install", "uninstall", "upload")
DEFAULT: dict[str, Any] = {
    "install": "immediate",
    "uninstall": "immediate",
    "upload": "immediate",
    "delay_ms": 0,
}


class Transitions:
    """How each kind of transition ends: at once, after `delay_ms`, when released, or failing."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    @property
    def config(self) -> dict[str, Any]:
        return dict(self._backend.store.meta_get("transitions", DEFAULT))

    def configure(self, update: dict[str, Any]) -> dict[str, Any]:
        config = self.config
        for key, value in update.items():
            if key == "delay_ms":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError("delay_ms must be a non-negative integer")
            elif key in KINDS:
                if value not in MODES:
                    raise ValueError(f"{key} must be one of {', '.join(MODES)}")
            else:
                raise ValueError(f"unknown transition setting {key!r}")
            config[key] = value
        self._backend.store.meta_set("transitions", config)
        return config

    def start(self, kind: str) -> dict[str, Any]:
        """A pending transition record to keep on the object until it is due."""
        config = self.config
        mode = config[kind]
        now = self._backend.clock.now()
        due: float | None = now
        if mode == "delayed":
            due = now + config["delay_ms"] / 1000
        elif mode == "held":
            due = None
        return {"kind": kind, "mode": mode, "due": due, "fail": mode == "fail"}

    def is_due(self, record: dict[str, Any] | None) -> bool:
        if not record or record.get("due") is None:
            return False
        return bool(self._backend.clock.now() >= record["due"])

    def release(self) -> int:
        """Make every held transition due now; they complete on the next read."""
        now = self._backend.clock.now()
        released = 0
        store = self._backend.store
        with store.transaction():
            for kind in ("install", "upload"):
                for doc in store.all(kind):
                    record = doc.get("_transition")
                    if record and record.get("due") is None:
                        record["due"] = now
                        store.put(kind, doc["id"], doc)
                        released += 1
        return released
