"""The README's stack code runs as written: each ```python block is a program, run with the CLI on both surfaces
(users copy these snippets, and point them at api.stripe.com)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.apps import write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def python_blocks() -> list[str]:
    # A block right after a marker comment is an Install step, run by the consumer tests (tests/consumer).
    return re.findall(r"(?<!-->\n)```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)


def test_readme_has_stack_code() -> None:
    assert python_blocks(), "the README shows no stack code"


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_stack_code_runs(index: int, engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: readme\nruntime:\n  name: python\n  options:\n    toolchain: pip\n")
    (project / "__main__.py").write_text(python_blocks()[index])
    write_app(project / "billing-app")
    env = surface.env()  # the environment fallbacks the README's Configuration table names
    for args in (
        ["stack", "init", "dev"],
        ["up", "--yes"],
        ["preview", "--expect-no-changes"],
        ["state", "unprotect", "--all", "--yes"],
        ["destroy", "--yes"],
    ):
        done = engine.cli(args, cwd=project, env=env)
        assert done.returncode == 0, f"pulumi {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        if args[0] == "up":
            assert len(objects(surface.control, "upload")) == 1 and objects(surface.control, "install")
    assert objects(surface.control, "install") == []
