"""A program's survivors of a full collection leave later collections, and are handed back with the next program."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pulumi_stripe_apps.resources import collection


class Root:
    """Stands in for a program's root stack resource: what tells one program from the next."""


@pytest.fixture(autouse=True)
def python_defaults() -> Iterator[None]:
    collection.stop()
    gc.unfreeze()
    yield
    collection.stop()


def test_outside_a_program_nothing_changes() -> None:
    collection.keep_collections_linear(None)
    gc.collect()
    assert gc.get_freeze_count() == 0
    assert collection._freeze_survivors not in gc.callbacks


def test_survivors_of_a_full_collection_leave_later_ones() -> None:
    program = Root()
    collection.keep_collections_linear(program)
    survivor = [object() for _ in range(100)]
    gc.collect(1)  # a young collection freezes nothing
    assert gc.get_freeze_count() == 0
    gc.collect()
    frozen = gc.get_freeze_count()
    assert frozen >= len(survivor)
    collection.keep_collections_linear(program)  # the same program: stays frozen
    assert gc.get_freeze_count() == frozen


def test_the_next_program_hands_the_last_ones_objects_back() -> None:
    first = Root()
    collection.keep_collections_linear(first)
    gc.collect()
    assert gc.get_freeze_count() > 0
    collection.keep_collections_linear(Root())
    assert gc.get_freeze_count() == 0
    assert gc.callbacks.count(collection._freeze_survivors) == 1


def test_stop_restores_pythons_defaults() -> None:
    collection.keep_collections_linear(Root())
    gc.collect()
    collection.stop()
    assert gc.get_freeze_count() == 0
    assert collection._freeze_survivors not in gc.callbacks
