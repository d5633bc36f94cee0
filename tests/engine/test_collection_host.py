"""One long-lived Automation API host runs a program of ours, then others: nothing of ours reaches past our program.

While a program declaring our resources runs, full garbage collections wait (`resources/collection.py`); when it
ends, whether it succeeded or failed, the host is as it was: a plain program's cyclic garbage is collected, and a
user's own `gc.freeze()` stays as they left it.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_stripe_apps import AppSecret
from stripe_apps_emulator.testing import RunningEmulator
from tests.support.engine import EngineSandbox


class Cycle:
    """An object in a reference cycle: only a full collection reclaims it once it has grown old."""

    def __init__(self) -> None:
        self.me = self


def config(emulator: RunningEmulator) -> dict[str, auto.ConfigValue]:
    return {
        "stripe-apps:apiBase": auto.ConfigValue(emulator.url),
        "stripe-apps:testApiKey": auto.ConfigValue(emulator.keys["default"]["test"], secret=True),
    }


def run_ours(engine: EngineSandbox, emulator: RunningEmulator, *, fails: bool = False) -> tuple[int, int, int]:
    """Previews a program of ours in this process; returns the collector's thresholds its program saw."""
    seen: list[tuple[int, int, int]] = []

    def program() -> None:
        AppSecret("token", name="token", payload="xoxb-0a1b2c3d", mode="test")
        seen.append(gc.get_threshold())
        if fails:
            raise RuntimeError("the program failed after declaring")

    stack = engine.inline_stack(program, project="ours", config=config(emulator))
    if fails:
        with pytest.raises(auto.errors.CommandError, match="the program failed after declaring"):
            stack.preview()
    else:
        stack.preview()
    assert len(seen) == 1
    return seen[0]


@pytest.mark.parametrize("ours_ends", ["succeeds", "fails"])
def test_a_plain_program_after_ours_has_its_cyclic_garbage_collected(
    engine: EngineSandbox, emulator: RunningEmulator, ours_ends: str
) -> None:
    before, callbacks = gc.get_threshold(), list(gc.callbacks)
    assert run_ours(engine, emulator, fails=ours_ends == "fails")[2] > before[2]  # ours ran with full ones waiting
    assert gc.get_threshold() == before
    assert gc.callbacks == callbacks
    dead: list[weakref.ref[Cycle]] = []
    seen: dict[str, Any] = {}

    def plain() -> None:
        cycles = [Cycle() for _ in range(3)]
        dead.extend(weakref.ref(cycle) for cycle in cycles)
        seen["threshold"] = gc.get_threshold()
        gc.collect()  # a full collection while they live, as a long program's own would run
        pulumi.export("cycles", len(cycles))

    stack = engine.inline_stack(plain, project="plain")
    assert stack.preview().change_summary == {"create": 1}
    assert seen["threshold"] == before
    gc.collect()
    assert [ref() for ref in dead] == [None, None, None]
    assert gc.get_freeze_count() == 0


def test_a_users_freeze_survives_our_program(engine: EngineSandbox, emulator: RunningEmulator) -> None:
    mine, dropped = Cycle(), Cycle()
    was_dropped = weakref.ref(dropped)
    gc.freeze()  # the user's, before our program: everything alive now
    try:
        del dropped
        later = Cycle()  # made after the freeze: the collector's as ever
        run_ours(engine, emulator)
        gc.collect()
        tracked = gc.get_objects()  # every generation the collector scans; frozen objects are in none
        assert any(obj is later for obj in tracked)
        assert not any(obj is mine for obj in tracked)  # still frozen
        del tracked
        assert gc.get_freeze_count() > 0
        assert was_dropped() is not None  # unreachable and never collected: still frozen, as the user left it
    finally:
        gc.unfreeze()
    gc.collect()
    assert was_dropped() is None  # frozen by the user alone: their own unfreeze hands it back
    assert any(obj is mine for obj in gc.get_objects())
