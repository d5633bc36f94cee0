"""Full collections wait while a program that declares our resources runs, and only then: the task's end undoes it."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from pulumi_stripe_apps.resources import collection


class Cycle:
    """An object in a reference cycle: only a collection of its generation reclaims it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    assert not collection._programs, "a program's scope outlived its task"
    gc.set_threshold(*before)


def run_program(body: Callable[[], Awaitable[Any]]) -> None:
    """Runs `body` as the SDK runs a program: a task on a fresh loop, driven by run_until_complete, then closed."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(body())
    finally:
        loop.close()


def full_collections() -> int:
    return int(gc.get_stats()[2]["collections"])


def young_collections() -> int:
    return int(gc.get_stats()[0]["collections"])


def keep_alive_many() -> list[list[int]]:
    """Enough live tracked objects that Python's default thresholds run at least one full collection."""
    return [[] for _ in range(max(2 * len(gc.get_objects()), 200_000))]


def test_outside_a_running_task_nothing_changes(thresholds: tuple[int, int, int]) -> None:
    collection.keep_collections_linear()
    assert gc.get_threshold() == thresholds
    assert not collection._programs


def test_while_the_program_runs_no_full_collection_and_young_ones_go_on(thresholds: tuple[int, int, int]) -> None:
    callbacks = list(gc.callbacks)
    full = full_collections()
    control = keep_alive_many()  # the same work outside a program of ours: Python runs full collections
    assert full_collections() > full
    del control
    seen: dict[str, Any] = {}

    async def program() -> None:
        collection.keep_collections_linear()
        seen["threshold"] = gc.get_threshold()
        full, young = full_collections(), young_collections()
        survivors = keep_alive_many()
        collection.keep_collections_linear()  # each later declaration of the same program changes nothing
        seen["full"], seen["young"] = full_collections() - full, young_collections() - young
        del survivors

    run_program(program)
    assert seen["threshold"] == (thresholds[0], thresholds[1], collection.DEFERRED)
    assert seen["full"] == 0
    assert seen["young"] > 0
    assert gc.get_threshold() == thresholds
    assert gc.callbacks == callbacks
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("ending", ["returns", "raises", "is cancelled"])
def test_the_programs_end_restores_pythons_thresholds(thresholds: tuple[int, int, int], ending: str) -> None:
    async def program() -> None:
        collection.keep_collections_linear()
        assert gc.get_threshold()[2] == collection.DEFERRED
        if ending == "raises":
            raise RuntimeError("the program failed")
        if ending == "is cancelled":
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
            await asyncio.get_running_loop().create_future()  # cancelled here, as a cancelled program is

    if ending == "returns":
        run_program(program)
    else:
        with pytest.raises(RuntimeError if ending == "raises" else asyncio.CancelledError):
            run_program(program)
    assert gc.get_threshold() == thresholds


def test_a_program_whose_end_went_unseen_is_ended_by_the_next(thresholds: tuple[int, int, int]) -> None:
    async def stopped() -> None:
        collection.keep_collections_linear()
        asyncio.get_running_loop().stop()  # the loop stops with the task, before its done callback runs

    async def program() -> None:
        collection.keep_collections_linear()

    run_program(stopped)
    run_program(program)
    assert gc.get_threshold() == thresholds


def test_overlapping_programs_share_it_until_the_last_ends(thresholds: tuple[int, int, int]) -> None:
    loop = asyncio.new_event_loop()
    try:
        release = loop.create_future()

        async def program(until: asyncio.Future[None] | None) -> None:
            collection.keep_collections_linear()
            if until is not None:
                await until

        second = loop.create_task(program(release))  # starts first, and waits
        loop.run_until_complete(program(None))
        assert gc.get_threshold() == (thresholds[0], thresholds[1], collection.DEFERRED)  # the second still runs
        release.set_result(None)
        loop.run_until_complete(second)
        assert gc.get_threshold() == thresholds
    finally:
        loop.close()


def test_thresholds_the_user_sets_during_the_program_stay() -> None:
    async def program() -> None:
        collection.keep_collections_linear()
        gc.set_threshold(500, 5, 5)

    run_program(program)
    assert gc.get_threshold() == (500, 5, 5)


def test_a_users_frozen_objects_stay_frozen() -> None:
    async def program() -> None:
        collection.keep_collections_linear()
        gc.collect()

    mine, dropped = Cycle(), Cycle()
    was_dropped = weakref.ref(dropped)
    gc.freeze()  # the user's, before our program: everything alive now
    try:
        del dropped
        later = Cycle()  # made after the freeze: the collector's as ever
        run_program(program)
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
