"""A Python user: the wheel pip-installed into a new venv, the program from the README; then, on Stripe's surface,
the template."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.consumer import (
    Artifacts,
    UserMachine,
    lifecycle,
    readme_project,
    template_lifecycle,
    template_project,
)
from tests.support.surfaces import Surface

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
APP = Path(__file__).resolve().parents[2] / "examples" / "quickstart" / "app"


def test_python_user(user_machine: UserMachine, artifacts: Artifacts, consumer_surface: Surface) -> None:
    project = readme_project(user_machine, artifacts, "python", f"python-{consumer_surface.name}", APP)
    lifecycle(user_machine, project, consumer_surface, "install")
    if not consumer_surface.is_stripe:
        return  # the template runs where users run it, on Stripe's surface: one run proves it, each costs a venv
    # The template's requirements name the wheel, which pip finds in the release's directory (README, Templates).
    find_links = " ".join(filter(None, (str(artifacts.directory), os.environ.get("PIP_FIND_LINKS"))))
    started = template_project(
        user_machine,
        consumer_surface,
        "python",
        f"python-template-{consumer_surface.name}",
        APP,
        {"PIP_FIND_LINKS": find_links},
    )
    template_lifecycle(user_machine, started, consumer_surface, "install")
