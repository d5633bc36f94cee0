"""Shared fixtures: the engine sandbox per test; the engine itself comes from scripts/env.sh."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_stripe_apps import surface as surfaces
from stripe_apps_emulator.testing import ControlClient, RunningEmulator, running_emulator
from tests.support.engine import EngineSandbox
from tests.support.surfaces import SURFACES, Surface, serving

TESTS = Path(__file__).resolve().parent
# Suites that need neither the engine nor its environment (`make test-fast` runs just these).
ENGINE_FREE = (TESTS / "unit", TESTS / "emulator")


@pytest.hookimpl(trylast=True)  # after `-k`/`-m` deselection: only the tests that will run count
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if all(any(item.path.resolve().is_relative_to(suite) for suite in ENGINE_FREE) for item in items):
        return
    missing = [name for name in ("PULUMI_HOME", "PULUMI_PYTHON_CMD") if not os.environ.get(name)]
    if missing or shutil.which("pulumi") is None:
        raise pytest.UsageError(
            "the engine environment is not set: run the tests with `make test` "
            f"(or `. scripts/env.sh` first); missing: {', '.join(missing) or 'pulumi on PATH'}"
        )


@pytest.fixture(autouse=True)
def _unknown_addresses() -> None:
    """Providers made in this process ask each address what it is afresh: emulators of either surface reuse ports."""
    surfaces.forget()


@pytest.fixture(params=SURFACES)
def surface(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Surface]:
    """The emulator on one of the two surfaces (see tests/support/surfaces.py); tests using it run on both."""
    with serving(request.param, tmp_path) as served:
        yield served


@pytest.fixture
def engine(tmp_path: Path) -> EngineSandbox:
    return EngineSandbox(tmp_path / "engine")


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator() as running:
        yield running


@pytest.fixture
def control(emulator: RunningEmulator) -> Iterator[ControlClient]:
    with ControlClient(emulator.internal_url) as client:
        yield client
