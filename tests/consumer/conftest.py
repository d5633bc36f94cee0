"""Fixtures of the consumer tests: the artifacts (built once), a user's machine, and the emulator it installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.consumer import (
    Artifacts,
    UserMachine,
    build_artifacts,
    engine_install_bin,
    installed_emulator,
    python_venv,
)
from tests.support.surfaces import SURFACES, Surface


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    """`make dist`, once per session, into a temporary directory."""
    return build_artifacts(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def user_machine(tmp_path_factory: pytest.TempPathFactory, artifacts: Artifacts) -> UserMachine:
    """One user's machine for the session, with the plugin installed from its archive as the README says."""
    machine = UserMachine(tmp_path_factory.mktemp("user-home"), engine_install_bin())
    machine.install_plugin(artifacts)
    return machine


@pytest.fixture
def fresh_machine(tmp_path: Path) -> UserMachine:
    """A user's machine with nothing installed yet."""
    return UserMachine(tmp_path / "user-home", engine_install_bin())


@pytest.fixture(scope="session")
def emulator_venv(user_machine: UserMachine, artifacts: Artifacts) -> Path:
    """The venv the user installed the wheel into, with its emulator extra."""
    return python_venv(user_machine, artifacts, user_machine.home / "emulator-venv")


@pytest.fixture(params=SURFACES)
def consumer_surface(
    request: pytest.FixtureRequest, user_machine: UserMachine, emulator_venv: Path
) -> Iterator[Surface]:
    """The emulator started from the installed wheel, on each surface (tests using it run on both)."""
    with installed_emulator(user_machine, emulator_venv, request.param) as surface:
        yield surface
