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
from pathlib import Path

import pytest
import stripe

from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.languages import LanguageExample
from tests.support.surfaces import Surface

pytestmark = pytest.mark.e2e


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
    assert [f"test/{install['id']}" for install in installs] == [outputs["install"]]  # MODE/appinst_...

    project.run("preview", "--expect-no-changes")

    # Uninstalled in the Dashboard: refresh finds it gone, the next up installs it again.
    surface.control.dashboard_uninstall(stripe_install_id(outputs["install"]))
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
    # The recorded id is the import id without the version (an upgrade keeps the install and its id).
    assert [res["id"] for res in state if res["urn"].endswith("::adopted")] == [f"live/{made.id}"]
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
