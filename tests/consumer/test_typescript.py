"""A TypeScript user: the SDK's npm tarball and @pulumi/pulumi installed with npm, the program from the README,
then, on Stripe's surface, the template with the SDK added as the README says."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import readme_install
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
APP = Path(__file__).resolve().parents[2] / "examples" / "typescript" / "app"


def test_typescript_user(user_machine: UserMachine, artifacts: Artifacts, consumer_surface: Surface) -> None:
    project = readme_project(user_machine, artifacts, "typescript", f"typescript-{consumer_surface.name}", APP)
    lifecycle(user_machine, project, consumer_surface, "installId")
    if not consumer_surface.is_stripe:
        return  # the template runs where users run it, on Stripe's surface: one run proves it (npm install each)
    started = template_project(
        user_machine, consumer_surface, "typescript", f"typescript-template-{consumer_surface.name}", APP, {}
    )
    (npm_install,) = [step for step in readme_install.steps("typescript") if step.kind == "run"]
    user_machine.run(npm_install.text, started, {"DIST": str(artifacts.directory)})
    template_lifecycle(user_machine, started, consumer_surface, "installId")
