"""Keeps Python's garbage collection linear in a program of thousands of resources.

A Pulumi program keeps every resource, and a task for each of their outputs, alive until it ends: the SDK
awaits them all before the program exits. A full collection scans every live object, and a program that
keeps declaring keeps meeting Python's trigger for the next one, so the collections cost grows with the
square of the resources: past a thousand, most of the program's CPU (BENCHMARKS.md, scale). What survives
a full collection is live for the program's life, so it is moved out of later collections (`gc.freeze`).

Only while a program of ours runs: the first resource of the next program (a new root stack resource, as in
a long-lived Automation API host running one program after another) hands the last one's objects back to
the collector (`gc.unfreeze`), so nothing of a program is kept past the next.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

_program: weakref.ReferenceType[Any] | None = None


def keep_collections_linear(program: object | None) -> None:
    """Called as each of our resources is declared, with the program's root resource (None: not in a program)."""
    global _program  # noqa: PLW0603 - one program at a time per process, as the SDK itself holds it
    if program is None:
        return
    if _program is None or _program() is not program:
        if _program is not None:
            gc.unfreeze()  # the previous program's survivors: collectable again
        _program = weakref.ref(program)
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def stop() -> None:
    """Back to Python's defaults: no freezing, and the frozen objects collectable again."""
    global _program  # noqa: PLW0603
    if _freeze_survivors in gc.callbacks:
        gc.callbacks.remove(_freeze_survivors)
    if _program is not None:
        gc.unfreeze()
    _program = None


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()
