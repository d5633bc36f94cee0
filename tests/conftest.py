"""Shared fixtures: the engine sandbox per test; the engine itself comes from scripts/env.sh."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from stripe_apps_emulator.testing import ControlClient, RunningEmulator, running_emulator
from tests.support.engine import EngineSandbox


def pytest_configure(config: pytest.Config) -> None:
    missing = [name for name in ("PULUMI_HOME", "PULUMI_PYTHON_CMD") if not os.environ.get(name)]
    if missing or shutil.which("pulumi") is None:
        raise pytest.UsageError(
            "the engine environment is not set: run the tests with `make test` "
            f"(or `. scripts/env.sh` first); missing: {', '.join(missing) or 'pulumi on PATH'}"
        )


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
