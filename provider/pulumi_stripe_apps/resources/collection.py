"""Keeps Python's garbage collection linear in a program of thousands of resources, only while that program runs.

A Pulumi program keeps every resource, and a task for each of their outputs, alive until it ends: the SDK awaits
them all before the program exits. Python's full collections rescan every live object, and a program that keeps
declaring keeps meeting their trigger, so past a thousand resources they are most of the program's CPU
(BENCHMARKS.md, scale). So while a program that declares our resources runs, automatic full collections wait: the
third of `gc.set_threshold`'s thresholds is raised out of reach. Young collections go on, so cycles that die young
are reclaimed as ever; what waits is only cyclic garbage that outlived two young collections, and a program of
thousands of our resources makes next to none of it (a handful of objects among millions).

Scoped to the program, never past it:
- it starts with the first of our resources declared in a task, and ends when that task ends, however it ends
  (a done callback runs on success, on an exception and on cancellation). Programs declare in the task that runs
  them (`run_in_stack` under the Automation API's inline server, the stock executor and `pulumi.runtime.test`), so
  the scope is the program's run; a resource declared outside a running task (no end to wait for) changes nothing.
- a loop closed before the done callback ran (a loop stopped from inside the program) leaves the scope open
  until the next of our programs starts, which sees that task done and ends it first.
- programs that overlap in one process (an Automation API host running stacks in threads) share it: the threshold
  goes back when the last of them ends, to what it was before the first, unless someone else set the thresholds
  meanwhile (theirs stay).
- nothing is frozen and `gc.callbacks` is untouched, so a user's `gc.freeze()` and collection hooks are theirs alone;
  the first full collection after the program takes whatever waited.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

# Young collections between full ones: out of reach of any program (Python's default is 10).
DEFERRED = 2**31 - 1

_lock = threading.Lock()
_programs: set[asyncio.Task[Any]] = set()  # the tasks running a program that declared our resources
_before: tuple[int, int, int] | None = None  # the thresholds the first of them found
_ours: tuple[int, int, int] | None = None  # the thresholds we set; restored only while they still stand


def keep_collections_linear() -> None:
    """Called as each of our resources is declared: full collections wait until the declaring task ends."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop: no end of the program to undo this at
        return
    if task is None or task in _programs:
        return
    with _lock:
        # A program whose loop was closed before its done callback could run ended all the same.
        _programs.difference_update([ended for ended in _programs if ended.done()])
        if not _programs:
            _restore_full_collections()
            _defer_full_collections()
        _programs.add(task)
    task.add_done_callback(_program_ended)


def _program_ended(task: asyncio.Task[Any]) -> None:
    with _lock:
        _programs.discard(task)
        if not _programs:
            _restore_full_collections()


def _defer_full_collections() -> None:
    global _before, _ours  # noqa: PLW0603 - the collector's thresholds are per process, and so is this
    _before = gc.get_threshold()
    young, middle, full = _before
    _ours = (young, middle, max(full, DEFERRED))
    gc.set_threshold(*_ours)


def _restore_full_collections() -> None:
    global _before, _ours  # noqa: PLW0603
    if _before is not None and gc.get_threshold() == _ours:
        gc.set_threshold(*_before)
    _before = _ours = None
