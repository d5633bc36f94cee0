"""The README's first run on Stripe's surface: a version uploaded by hand with the CLI, adopted by `pulumi up`."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest

from pulumi_stripe_apps import AppInstallation, AppVersion
from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from tests.support.apps import set_manifest, write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.stripe_cli import set_cli_behaviour
from tests.support.surfaces import Surface

# A manifest id with `app_` inside: the Dashboard URL the CLI prints holds an `app_...`-shaped token.
APP_SHAPED_ID = "com.acme.app_billing01"


def upload_by_hand(surface: Surface, app_dir: Path, answer: str = "y\n") -> subprocess.CompletedProcess[str]:
    """`stripe apps upload` in the app directory with the test key, the prompt answered as a user types it."""
    assert surface.stripe_cli is not None
    return subprocess.run(
        [str(surface.stripe_cli), "apps", "upload", "--api-key", surface.keys["default"]["test"]],
        cwd=app_dir,
        input=answer,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def first_run_program(app_dir: Path) -> Callable[[], None]:
    def program() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        install = AppInstallation(
            "billing-test",
            app=version.app,
            version=version.version,
            mode="test",
            requested_access=version.requested_access,
        )
        pulumi.export("app", version.app)
        pulumi.export("upload_id", version.upload_id)
        pulumi.export("install_id", install.id)
        pulumi.export("install_status", install.status)
        pulumi.export("installed_version", install.installed_version)

    return program


def upload_ids(surface: Surface) -> list[str]:
    """Every upload the emulator holds, as its control plane lists them."""
    return [str(upload["id"]) for upload in objects(surface.control, "upload")]


# What Stripe does not document about the CLI (the exit code of a refused upload, its words, the prompt's default
# answer) is picked in the stand-in both ways, so adoption does not rest on a guess. Stripe's surface only: the full
# surface lists Version History, where adoption compares fingerprints instead (test_app_version_provider.py).
@pytest.mark.parametrize("surface", ["stripe"], indirect=True)
@pytest.mark.parametrize("wording", ["request_failed", "plain"])
@pytest.mark.parametrize("refused_exit", [0, 1])
def test_the_first_run_adopts_the_version_uploaded_by_hand(
    engine: EngineSandbox, surface: Surface, tmp_path: Path, refused_exit: int, wording: str
) -> None:
    assert surface.stripe_cli is not None
    set_cli_behaviour(surface.stripe_cli, refused_exit=refused_exit, exists_wording=wording)
    app_dir = write_app(tmp_path / "billing")
    by_hand = upload_by_hand(surface, app_dir)
    assert by_hand.returncode == 0 and "✔ Uploaded Billing helper" in by_hand.stdout, by_hand.stderr
    [hand_upload] = upload_ids(surface)

    # The refusal the provider is about to read, as this CLI prints it.
    again = upload_by_hand(surface, app_dir)
    assert again.returncode == refused_exit
    if wording == "plain":
        assert "Error: version 1.0.0 of com.example.billing has already been uploaded" in again.stderr
        assert "Request failed" not in again.stdout + again.stderr
    else:
        assert "Request failed, status=400" in again.stdout and '"resource_already_exists"' in again.stdout
    assert upload_ids(surface) == [hand_upload]

    # The developer copies the app's id from the Dashboard into stripe-apps:appIds, then runs `pulumi up`.
    stack = engine.inline_stack(first_run_program(app_dir), config=surface.config())
    up = stack.up()
    assert up.summary.resource_changes == {"create": 3}
    assert upload_ids(surface) == [hand_upload]  # adopted: no second upload
    assert "com.example.billing@1.0.0 was already uploaded" in up.stdout + up.stderr
    assert up.outputs["app"].value == surface.app_ids(["com.example.billing"])["com.example.billing"]
    assert up.outputs["upload_id"].value == "cli:com.example.billing@1.0.0"
    assert up.outputs["install_status"].value == "installed"
    assert up.outputs["installed_version"].value == "1.0.0"
    assert surface.control.installed_upload(stripe_install_id(up.outputs["install_id"].value)) == hand_upload
    stack.preview(expect_no_changes=True)


@pytest.mark.parametrize("surface", ["stripe"], indirect=True)
@pytest.mark.parametrize("prompt_default", ["yes", "no"])
def test_the_prompts_default_answer_does_not_matter_to_the_provider(
    engine: EngineSandbox, surface: Surface, tmp_path: Path, prompt_default: str
) -> None:
    assert surface.stripe_cli is not None
    set_cli_behaviour(surface.stripe_cli, prompt_default=prompt_default)
    app_dir = write_app(tmp_path / "billing", app_id=APP_SHAPED_ID)

    # The user just presses Enter: the default answer decides.
    enter = upload_by_hand(surface, app_dir, answer="\n")
    assert enter.returncode == 0
    if prompt_default == "yes":
        assert "[Y/n]" in enter.stdout and "✔ Uploaded" in enter.stdout
    else:
        assert "[y/N]" in enter.stdout and "Upload cancelled." in enter.stdout
        assert upload_ids(surface) == []
        enter = upload_by_hand(surface, app_dir, answer="y\n")
        assert enter.returncode == 0 and "✔ Uploaded" in enter.stdout
    assert f"https://dashboard.stripe.com/test/apps/{APP_SHAPED_ID}" in enter.stdout
    [hand_upload] = upload_ids(surface)
    app = surface.app_ids([APP_SHAPED_ID])[APP_SHAPED_ID]
    assert app != "app_billing01"

    stack = engine.inline_stack(first_run_program(app_dir), config=surface.config(app_ids=[APP_SHAPED_ID]))
    adopted = stack.up()
    assert upload_ids(surface) == [hand_upload]
    assert adopted.outputs["app"].value == app
    assert surface.control.installed_upload(stripe_install_id(adopted.outputs["install_id"].value)) == hand_upload

    # The next version is the provider's own upload: it answers the prompt itself, whatever its default, and the
    # `app_billing01` of the printed Dashboard URL is not taken for the app's id.
    set_manifest(app_dir, version="1.0.1")
    upgraded = stack.up()
    [new_upload] = set(upload_ids(surface)) - {hand_upload}
    assert upgraded.outputs["app"].value == app
    assert upgraded.outputs["installed_version"].value == "1.0.1"
    assert surface.control.installed_upload(stripe_install_id(upgraded.outputs["install_id"].value)) == new_upload
    stack.preview(expect_no_changes=True)
