"""AppVersion through the real engine against the emulator over a real socket."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_stripe_apps import AppVersion
from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.support.apps import set_manifest, write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox


def _config(emulator: RunningEmulator) -> dict[str, auto.ConfigValue]:
    return {
        "stripe-apps:apiBase": auto.ConfigValue(emulator.url),
        "stripe-apps:testApiKey": auto.ConfigValue(emulator.keys["default"]["test"], secret=True),
    }


def test_version_lifecycle(
    engine: EngineSandbox, emulator: RunningEmulator, control: ControlClient, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing")

    def program() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        pulumi.export("upload_id", version.upload_id)
        pulumi.export("app", version.app)
        pulumi.export("status", version.status)
        pulumi.export("fingerprint", version.fingerprint)

    stack = engine.inline_stack(program, config=_config(emulator))
    up = stack.up()
    assert up.outputs["status"].value == "completed"
    assert up.outputs["app"].value.startswith("app_")
    first_upload = up.outputs["upload_id"].value
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)

    (app_dir / "src" / "View.tsx").write_text("export const View = () => 'changed';\n")
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    assert "Versions are immutable on Stripe" in str(refused.value)
    assert "bump `version`" in str(refused.value)

    set_manifest(app_dir, version="1.0.1")
    bumped = stack.up()
    assert bumped.summary.resource_changes == {"replace": 1, "same": 1}
    assert bumped.outputs["upload_id"].value != first_upload
    stack.preview(expect_no_changes=True)

    destroyed = stack.destroy()
    assert destroyed.summary.resource_changes == {"delete": 2}
    # Stripe cannot delete versions: both stay in Version History after destroy.
    assert sorted(upload["version"] for upload in objects(control, "upload")) == ["1.0.0", "1.0.1"]
    assert stack.export_stack().deployment.get("resources", []) == []
