"""The reliability suite's size knob and figures: `STRIPE_APPS_RELIABILITY_SIZE` (ci|full), JSON lines report."""

from __future__ import annotations

import gc
import json
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.support import SIZE

Record = Callable[..., None]
_FIGURES: list[dict[str, Any]] = []


# The same leftovers when the collector runs in the middle of a test: only these two messages are let through.
SDK_LEFTOVERS = (
    r"ignore:Exception ignored in. <socket\.socket fd=\d+, family=1,:pytest.PytestUnraisableExceptionWarning",
    r"ignore:Exception ignored in. <function BaseEventLoop\.__del__:pytest.PytestUnraisableExceptionWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            for leftover in SDK_LEFTOVERS:
                item.add_marker(pytest.mark.filterwarnings(leftover))


@pytest.fixture(autouse=True)
def _collect_engine_event_loops() -> Iterator[None]:
    """Frees the event loops Pulumi's SDK leaves behind after a failed inline run, inside the test.

    `pulumi.runtime.sync_await._ensure_event_loop` gives each gRPC server thread of an inline program
    its own loop and never closes it; after a failed `up` the loop (and its AF_UNIX self-pipe) is
    collected later and warns. The loops are the SDK's, not ours: collect them here, silencing only that.
    """
    yield
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "unclosed event loop", ResourceWarning)
        warnings.filterwarnings("ignore", r"unclosed <socket\.socket fd=\d+, family=1,", ResourceWarning)
        gc.collect()


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Record:
    """Keeps one figure row: printed at the end of the run, appended to $STRIPE_APPS_RELIABILITY_REPORT if set."""

    def write(kind: str, **figures: Any) -> None:
        record_row(kind, test=request.node.nodeid, **figures)

    return write


def record_row(kind: str, **figures: Any) -> None:
    row = {"kind": kind, "size": SIZE.name, **figures}
    _FIGURES.append(row)
    target = os.environ.get("STRIPE_APPS_RELIABILITY_REPORT")
    if target:
        with Path(target).open("a", encoding="utf-8") as report:
            report.write(json.dumps(row, sort_keys=True) + "\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    terminalreporter.section(f"reliability figures (size {SIZE.name})")
    for row in _FIGURES:
        shown = {key: value for key, value in row.items() if key not in ("size", "test")}
        terminalreporter.write_line(json.dumps(shown, sort_keys=True))
