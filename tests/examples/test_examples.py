"""Every example project, run as a user would: the `pulumi` CLI in the project directory, emulator over a socket.

Each runs up -> preview (no changes) -> refresh (no changes) -> its scenario -> destroy, and leaves the
emulator without installs, on both surfaces: the emulator's full one, and Stripe's public one (the Stripe
CLI stand-in uploads, the app id comes from stripe-apps:appIds).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stripe_apps_emulator.testing import ControlClient
from tests.support.apps import set_manifest
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.e2e


class ExampleProject:
    """A copy of one example in a temporary directory, driven through the CLI."""

    def __init__(self, name: str, tmp_path: Path, engine: EngineSandbox, surface: Surface) -> None:
        self.dir = tmp_path / name
        shutil.copytree(EXAMPLES / name, self.dir)
        self.engine = engine
        manifest_id = json.loads((self.dir / "app" / "stripe-app.json").read_text())["id"]
        self.env = surface.env(app_ids=[manifest_id])
        self.settings = surface.settings(app_ids=[manifest_id])

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = self.engine.cli(list(args), cwd=self.dir, env=self.env)
        if ok:
            assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def init(self, stack: str = "dev") -> None:
        self.run("stack", "select", "--create", stack)
        for key, value in self.settings.items():
            self.run("config", "set", key, value)

    def config(self, key: str, value: str) -> None:
        self.run("config", "set", key, value)

    def outputs(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.run("stack", "output", "--json").stdout)
        return found

    def converged(self) -> None:
        """The checks Pulumi's own ProgramTest makes after every apply."""
        self.run("preview", "--expect-no-changes")
        self.run("refresh", "--yes", "--expect-no-changes")

    def destroy(self, stack: str = "dev") -> None:
        self.run("destroy", "--yes")
        self.run("stack", "rm", stack, "--yes")


@pytest.fixture
def example(tmp_path: Path, engine: EngineSandbox, surface: Surface) -> Any:
    def make(name: str) -> ExampleProject:
        return ExampleProject(name, tmp_path, engine, surface)

    return make


@pytest.fixture
def control(surface: Surface) -> ControlClient:
    return surface.control


def test_quickstart(example: Any, control: ControlClient) -> None:
    project: ExampleProject = example("quickstart")
    project.init()
    up = project.run("up", "--yes")
    assert "3 created" in up.stdout
    assert project.outputs()["status"] == "installed"
    project.converged()

    set_manifest(project.dir / "app", version="1.0.1")
    project.run("up", "--yes")
    assert project.outputs()["version"] == "1.0.1"
    project.converged()

    project.destroy()
    assert objects(control, "install") == []


def test_environments_promote_one_upload_through_dev_staging_and_prod(example: Any, control: ControlClient) -> None:
    project: ExampleProject = example("environments")
    fingerprints = {}
    for stack in ("dev", "staging", "prod"):
        project.init(stack)
        project.run("up", "--yes")
        fingerprints[stack] = project.outputs()["fingerprint"]
        project.converged()
    assert len(set(fingerprints.values())) == 1
    assert len(objects(control, "upload")) == 1  # staging and prod adopted dev's upload
    assert sorted(install["livemode"] for install in objects(control, "install")) == [False, False, True]

    refused = project.run("destroy", "--yes", ok=False)
    assert refused.returncode != 0 and "protect" in (refused.stdout + refused.stderr)
    assert len(objects(control, "install")) == 3
    project.run("state", "unprotect", "--all", "--yes")
    project.destroy("prod")
    for stack in ("staging", "dev"):
        project.run("stack", "select", stack)
        project.destroy(stack)
    assert objects(control, "install") == []


def test_marketplace_switch_uninstalls_live_before_publishing(
    example: Any, control: ControlClient, surface: Surface
) -> None:
    project: ExampleProject = example("marketplace")
    project.init()
    project.run("up", "--yes")
    project.converged()
    assert project.outputs()["live"].startswith("live/appinst_")

    set_manifest(project.dir / "app", version="2.0.0", distribution_type="public")
    project.config("billing:distribution", "public")
    if surface.is_stripe:
        # No public API submits for review: refused at preview, before any change.
        before = objects(control, "install")
        refused = project.run("preview", ok=False)
        assert refused.returncode != 0
        assert "uninstall the app from live mode, then submit it for review" in refused.stdout + refused.stderr
        refused = project.run("up", "--yes", ok=False)
        assert refused.returncode != 0
        assert objects(control, "install") == before and [u["version"] for u in objects(control, "upload")] == ["1.0.0"]
        assert any(install["livemode"] and install["status"] == "installed" for install in before)
        project.config("billing:distribution", "private")
        set_manifest(project.dir / "app", version="1.0.0", distribution_type="private")
        project.converged()
        project.destroy()
        assert objects(control, "install") == []
        return
    preview = project.run("preview", "--diff")
    assert "replace" in preview.stdout
    project.run("up", "--yes")
    outputs = project.outputs()
    assert outputs["distribution"] == "public"
    assert outputs["live_status"] == "in_review"
    assert [install["livemode"] for install in objects(control, "install")] == [False]
    project.converged()

    project.config("billing:distribution", "private")
    back = project.run("preview", ok=False)
    assert "delisting from the Marketplace needs Stripe support" in back.stdout + back.stderr
    project.config("billing:distribution", "public")
    project.destroy()
    assert objects(control, "install") == []


def test_drift_report_names_an_install_removed_in_the_dashboard(example: Any, control: ControlClient) -> None:
    project: ExampleProject = example("drift")
    project.init()
    project.run("up", "--yes")
    project.converged()
    script = project.dir / "check-drift.sh"
    env = project.engine.env(project.env)
    clean = subprocess.run([str(script), "dev"], cwd=project.dir, env=env, text=True, capture_output=True, check=False)
    assert clean.returncode == 0 and "No drift" in clean.stdout

    live_id = next(install["id"] for install in objects(control, "install") if install["livemode"])
    control.dashboard_uninstall(live_id)
    report = subprocess.run([str(script), "dev"], cwd=project.dir, env=env, text=True, capture_output=True, check=False)
    assert report.returncode == 1
    assert "DRIFT in stack dev" in report.stdout
    assert f"install {live_id}" in report.stdout and "is gone" in report.stdout
    assert "billing-helper-live" in report.stdout and "create" in report.stdout

    project.run("up", "--yes", "--refresh")
    project.converged()
    project.destroy()
    assert objects(control, "install") == []


def test_rollback_republishes_old_content_as_a_new_version(example: Any, control: ControlClient) -> None:
    project: ExampleProject = example("rollback")
    app = project.dir / "app"
    good = (app / "src" / "views" / "CustomerDetailView.tsx").read_text()
    project.init()
    project.run("up", "--yes")
    project.converged()

    (app / "src" / "views" / "CustomerDetailView.tsx").write_text(good.replace("Plan details", "Broken details"))
    set_manifest(app, version="1.1.0")
    project.run("up", "--yes")
    assert project.outputs()["installed_version"] == "1.1.0"

    (app / "src" / "views" / "CustomerDetailView.tsx").write_text(good)
    set_manifest(app, version="1.2.0")
    rolled = project.run("up", "--yes")
    assert "1 replaced" in rolled.stdout and "1 updated" in rolled.stdout
    assert project.outputs()["installed_version"] == "1.2.0"
    project.converged()
    assert [upload["version"] for upload in objects(control, "upload")] == ["1.0.0", "1.1.0", "1.2.0"]

    project.destroy()
    assert objects(control, "install") == []


def test_platform_installs_one_version_on_its_connected_accounts(
    example: Any, control: ControlClient, surface: Surface
) -> None:
    project: ExampleProject = example("platform")
    platform = surface.keys["default"]["account"]
    accounts = [control.create_account(connected_to=platform)["account"] for _ in range(2)]
    project.init()
    project.config("platform:connectedAccounts", json.dumps(accounts))
    project.run("up", "--yes")
    assert set(project.outputs()["status"]) == set(accounts)
    assert sorted(install["account"] for install in objects(control, "install")) == sorted([platform, *accounts])
    project.converged()

    # One connected account uninstalls the app from its Dashboard: drift, then restored by the next up.
    gone = next(install["id"] for install in objects(control, "install") if install["account"] == accounts[0])
    control.dashboard_uninstall(gone)
    drifted = project.run("preview", "--refresh", "--expect-no-changes", ok=False)
    assert drifted.returncode != 0 and "is gone" in drifted.stdout + drifted.stderr
    project.run("up", "--yes", "--refresh")
    assert sorted(install["account"] for install in objects(control, "install")) == sorted([platform, *accounts])
    project.converged()

    set_manifest(project.dir / "app", version="1.0.1")
    bumped = project.run("up", "--yes")
    assert "3 updated" in bumped.stdout
    project.converged()
    project.destroy()
    assert objects(control, "install") == []
