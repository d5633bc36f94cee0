"""AppVersion through the real engine, on the emulator's full surface and on Stripe's public surface."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_stripe_apps import AppSecret, AppVersion
from tests.support.apps import set_manifest, write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface


def version_program(app_dir: Path, **args: object) -> auto.PulumiFn:
    def program() -> None:
        version = AppVersion("billing", app_dir=str(app_dir), **args)  # type: ignore[arg-type]
        pulumi.export("upload_id", version.upload_id)
        pulumi.export("app", version.app)
        pulumi.export("status", version.status)
        pulumi.export("fingerprint", version.fingerprint)

    return program


def test_version_lifecycle(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(version_program(app_dir), config=surface.config())
    up = stack.up()
    # Through the Stripe CLI the upload is accepted; its processing is not observable on the public API.
    assert up.outputs["status"].value == ("uploaded" if surface.is_stripe else "completed")
    assert up.outputs["app"].value == objects(surface.control, "app")[0]["id"]
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
    assert sorted(upload["version"] for upload in objects(surface.control, "upload")) == ["1.0.0", "1.0.1"]
    assert stack.export_stack().deployment.get("resources", []) == []


@pytest.mark.parametrize("surface", ["stripe"], indirect=True)
def test_stripe_surface_needs_the_app_id_in_config_at_preview(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing", app_id="com.example.unlisted")
    stack = engine.inline_stack(version_program(app_dir), config=surface.config())
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    message = str(refused.value)
    assert "stripe-apps:appIds" in message and "com.example.unlisted" in message
    assert "pulumi config set --path" in message
    assert objects(surface.control, "upload") == []


@pytest.mark.parametrize("surface", ["stripe"], indirect=True)
def test_stripe_cli_cannot_honour_bundle_dir_or_ignore(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    app_dir = write_app(tmp_path / "billing")
    program = version_program(app_dir, bundle_dir=str(app_dir / "src"), ignore=["*.map"])
    stack = engine.inline_stack(program, config=surface.config())
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    message = str(refused.value)
    assert "bundle_dir cannot be used with the Stripe CLI uploader" in message
    assert "ignore cannot be used with the Stripe CLI uploader" in message
    assert objects(surface.control, "upload") == []


@pytest.mark.parametrize("surface", ["stripe"], indirect=True)
@pytest.mark.parametrize("landed", [False, True], ids=["refused", "landed-then-failed"])
def test_a_failed_cli_transcript_fails_the_up_and_the_next_up_converges(
    engine: EngineSandbox, surface: Surface, tmp_path: Path, landed: bool
) -> None:
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(version_program(app_dir), config=surface.config())
    kind = "error_after" if landed else "error_before"
    surface.control.set_faults(1, [{"route": "POST /v1/apps/uploads", "kind": kind}])
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    # The stand-in prints a `Failed to register` transcript and exits 0, as the real apps plugin does.
    assert "HTTP 500" in str(failed.value) and "uploading app version com.example.billing@1.0.0" in str(failed.value)
    assert len(objects(surface.control, "upload")) == (1 if landed else 0)
    surface.control.clear_faults()

    again = stack.up()
    assert again.summary.resource_changes == {"create": 1, "same": 1}
    assert len(objects(surface.control, "upload")) == 1
    stack.preview(expect_no_changes=True)


def test_an_app_dir_known_only_at_apply_passes_preview(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    """A directory another resource makes (a build step's output) is unknown at the first preview: check reads
    nothing then, and what the manifest decides shows as not known yet instead of failing."""
    app_dir = write_app(tmp_path / "billing")

    def program() -> None:
        # Any output known only once its resource exists stands for a build step here.
        built = AppSecret("build-marker", name="build_marker", payload="built", mode="test")
        version = AppVersion("billing", app_dir=built.id.apply(lambda _: str(app_dir)))
        pulumi.export("version", version.version)

    stack = engine.inline_stack(program, config=surface.config())
    assert stack.preview().change_summary == {"create": 3}  # the stack, the marker and the version
    up = stack.up()
    assert up.outputs["version"].value == "1.0.0"
    stack.preview(expect_no_changes=True)
