"""The engine install works end to end: a do-nothing resource through up, preview, refresh, destroy."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pulumi

from stripe_apps_devtools.noop import Noop
from tests.support.engine import EngineSandbox

ROOT = Path(__file__).resolve().parents[2]


def test_cli_prints_the_stamped_version() -> None:
    printed = subprocess.run(["pulumi", "version"], capture_output=True, text=True, check=True).stdout.strip()
    assert printed.startswith("v3.") and printed == _pinned_version()


def _pinned_version() -> str:
    script = (ROOT / "scripts" / "ensure-engine.sh").read_text()
    return script.split('PULUMI_VERSION="${PULUMI_VERSION:-', 1)[1].split("}", 1)[0]


def test_inline_program_lifecycle(engine: EngineSandbox) -> None:
    def program() -> None:
        noop = Noop("smoke", label="one")
        pulumi.export("label", noop.label)

    stack = engine.inline_stack(program, project="smoke-inline")
    up = stack.up()
    assert up.outputs["label"].value == "one"
    assert up.summary.resource_changes == {"create": 2}
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)
    destroyed = stack.destroy()
    assert destroyed.summary.resource_changes == {"delete": 2}
    assert stack.export_stack().deployment.get("resources", []) == []


def test_project_directory_lifecycle(engine: EngineSandbox, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: smoke-project
            runtime:
              name: python
              options:
                toolchain: pip
                virtualenv: {ROOT / ".venv"}
            """
        )
    )
    (project / "__main__.py").write_text(
        "import pulumi\nfrom stripe_apps_devtools.noop import Noop\n"
        'pulumi.export("label", Noop("smoke", label="two").label)\n'
    )
    steps = [
        ["stack", "init", "dev"],
        ["up", "--yes"],
        ["preview", "--expect-no-changes"],
        ["refresh", "--yes", "--expect-no-changes"],
        ["stack", "output", "label"],
        ["destroy", "--yes"],
        ["stack", "rm", "dev", "--yes"],
    ]
    outputs = {}
    for args in steps:
        result = engine.cli(args, cwd=project)
        assert result.returncode == 0, f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        outputs[args[0] + args[1]] = result.stdout
    assert outputs["stackoutput"].strip() == "two"
    assert "2 created" in outputs["up--yes"]
    assert "2 deleted" in outputs["destroy--yes"]
