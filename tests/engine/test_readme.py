"""The README's stack code runs as written: each ```python block is a program, run with the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stripe_apps_emulator.testing import RunningEmulator
from tests.support.apps import write_app
from tests.support.engine import EngineSandbox

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)


def test_readme_has_stack_code() -> None:
    assert python_blocks(), "the README shows no stack code"


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_stack_code_runs(index: int, engine: EngineSandbox, emulator: RunningEmulator, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: readme\nruntime:\n  name: python\n  options:\n    toolchain: pip\n")
    (project / "__main__.py").write_text(python_blocks()[index])
    write_app(project / "billing-app")
    env = {
        "STRIPE_APPS_API_BASE": emulator.url,
        "STRIPE_APPS_TEST_API_KEY": emulator.keys["default"]["test"],
        "STRIPE_APPS_LIVE_API_KEY": emulator.keys["default"]["live"],
    }
    for args in (
        ["stack", "init", "dev"],
        ["up", "--yes"],
        ["preview", "--expect-no-changes"],
        ["state", "unprotect", "--all", "--yes"],
        ["destroy", "--yes"],
    ):
        done = engine.cli(args, cwd=project, env=env)
        assert done.returncode == 0, f"pulumi {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
