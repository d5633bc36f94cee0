"""The TypeScript and YAML examples, run as users run them: `pulumi` in the project directory, the native provider
plugin (`pulumi-resource-stripe-apps`, on PATH from the venv), the emulator over a socket, on both surfaces.

examples/typescript uses the SDK generated from schema.json (sdk/nodejs, installed by `npm ci` with its
@pulumi/pulumi) through our Node.js language host; examples/yaml needs no SDK (pulumi-language-yaml reads the
schema from the plugin). Each runs up -> preview (no changes) -> an uninstall in the Dashboard found by refresh ->
up restores it -> `pulumi import` of an install made with the official SDK -> destroy, and leaves the emulator
without installs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import stripe

from stripe_apps_devtools import npm
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.e2e


class LanguageExample:
    """A copy of one example in a temporary directory; a Node.js one shares the example's installed node_modules."""

    def __init__(self, name: str, tmp_path: Path, engine: EngineSandbox, surface: Surface) -> None:
        source = EXAMPLES / name
        self.dir = tmp_path / name
        shutil.copytree(source, self.dir, ignore=shutil.ignore_patterns("node_modules"))
        if (source / "package.json").is_file():
            (self.dir / "node_modules").symlink_to(npm.ensure(source), target_is_directory=True)
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


@pytest.mark.parametrize("name", ["typescript", "yaml"])
def test_example_installs_converges_and_destroys(
    name: str, tmp_path: Path, engine: EngineSandbox, surface: Surface
) -> None:
    project = LanguageExample(name, tmp_path, engine, surface)
    project.run("stack", "select", "--create", "dev")
    for key, value in project.settings.items():
        project.run("config", "set", key, value)

    up = project.run("up", "--yes")
    assert "stripe-apps:index:AppInstallation" in up.stdout
    outputs = project.outputs()
    assert outputs["status"] == "installed"
    installs = objects(surface.control, "install")
    assert [install["id"] for install in installs] == [outputs["install"]]

    project.run("preview", "--expect-no-changes")

    # Uninstalled in the Dashboard: refresh finds it gone, the next up installs it again.
    surface.control.dashboard_uninstall(outputs["install"])
    drifted = project.run("preview", "--refresh", "--expect-no-changes", ok=False)
    assert drifted.returncode != 0 and "is gone" in drifted.stdout + drifted.stderr
    project.run("up", "--yes", "--refresh")
    project.run("preview", "--expect-no-changes")

    # An install made outside the stack, in live mode with the official SDK, adopted with `pulumi import`.
    sdk = stripe.StripeClient(surface.keys["default"]["live"], base_addresses={"api": surface.emulator.url})
    made = sdk.v1.apps.installs.create({"app": outputs["app"], "channel": "private_live"})
    import_id = f"live/{made.id}@{outputs['version']}"
    project.run(
        "import",
        "stripe-apps:index:AppInstallation",
        "adopted",
        import_id,
        "--yes",
        "--protect=false",
        "--generate-code=false",
    )
    state = json.loads(project.run("stack", "export").stdout)["deployment"]["resources"]
    assert [res["id"] for res in state if res["urn"].endswith("::adopted")] == [made.id]
    ghost = project.run(
        "import",
        "stripe-apps:index:AppInstallation",
        "ghost",
        "live/appinst_0",
        "--yes",
        "--generate-code=false",
        ok=False,
    )
    assert ghost.returncode != 0 and "No such app install" in ghost.stdout + ghost.stderr

    project.run("destroy", "--yes")
    assert objects(surface.control, "install") == []
    project.run("stack", "rm", "dev", "--yes")
