"""Reading the emulator's state in tests (white-box checks of what the API holds)."""

from __future__ import annotations

from typing import Any

from stripe_apps_emulator.testing import ControlClient


def objects(control: ControlClient, kind: str) -> list[dict[str, Any]]:
    """Every stored object of one kind (`upload`, `install`, `app`, `secret`, `event`...)."""
    found: list[dict[str, Any]] = control.state()["objects"].get(kind, [])
    return found
