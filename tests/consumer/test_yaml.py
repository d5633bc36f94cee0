"""A YAML user: the plugin installed from its archive, the program from the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.consumer import Artifacts, UserMachine, lifecycle, readme_project
from tests.support.surfaces import Surface

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
APP = Path(__file__).resolve().parents[2] / "examples" / "yaml" / "app"


def test_yaml_user(user_machine: UserMachine, artifacts: Artifacts, consumer_surface: Surface) -> None:
    project = readme_project(user_machine, artifacts, "yaml", f"yaml-{consumer_surface.name}", APP)
    lifecycle(user_machine, project, consumer_surface, "installId")
