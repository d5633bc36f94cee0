"""Projects in other languages run as users run them: `pulumi` in the project directory, the native provider plugin
(`pulumi-resource-stripe-apps`, on PATH from the venv) and the emulator over a socket."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from stripe_apps_devtools import npm
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class LanguageExample:
    """A copy of one example in a temporary directory; a Node.js one shares the example's installed node_modules.

    `program` names files that replace the example's own (a test's program over the example's project, app and
    installed packages).
    """

    def __init__(
        self,
        name: str,
        tmp_path: Path,
        engine: EngineSandbox,
        surface: Surface,
        program: dict[str, str] | None = None,
    ) -> None:
        source = EXAMPLES / name
        self.dir = tmp_path / name
        shutil.copytree(source, self.dir, ignore=shutil.ignore_patterns("node_modules"))
        if (source / "package.json").is_file():
            (self.dir / "node_modules").symlink_to(npm.ensure(source), target_is_directory=True)
        for file_name, text in (program or {}).items():
            (self.dir / file_name).write_text(text)
        self.engine = engine
        manifest_id = json.loads((self.dir / "app" / "stripe-app.json").read_text())["id"]
        self.env = surface.env(app_ids=[manifest_id])
        self.settings = surface.settings(app_ids=[manifest_id])

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = self.engine.cli(list(args), cwd=self.dir, env=self.env)
        if ok:
            assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def outputs(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.run("stack", "output", "--json").stdout)
        return found
