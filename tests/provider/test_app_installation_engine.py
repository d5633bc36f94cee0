"""AppInstallation through the real engine, on the emulator's full surface and on Stripe's public surface."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest
import stripe
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppVersion
from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from stripe_apps_emulator.testing import ControlClient
from tests.support.apps import set_manifest, write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface


def installs_program(app_dir: Path, modes: dict[str, str], **install_args: object) -> Callable[[], None]:
    def program() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        for name, mode in modes.items():
            install = AppInstallation(
                name,
                app=version.app,
                version=version.version,
                mode=mode,
                sandbox_install_compatible=version.sandbox_install_compatible,
                requested_access=version.requested_access,
                **install_args,  # type: ignore[arg-type]
            )
            pulumi.export(f"{name}_id", install.id)
            pulumi.export(f"{name}_status", install.status)
            pulumi.export(f"{name}_version", install.installed_version)
        pulumi.export("app", version.app)

    return program


def live_installs(control: ControlClient) -> list[dict[str, object]]:
    return [install for install in objects(control, "install") if install.get("livemode")]


def test_installs_in_every_mode_converge_and_survive_out_of_band_uninstall(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    control, emulator = surface.control, surface.emulator
    app_dir = write_app(tmp_path / "billing")
    modes = {"dev": "test", "staging": "sandbox", "prod": "live"}
    stack = engine.inline_stack(installs_program(app_dir, modes), config=surface.config())
    up = stack.up()
    for name in modes:
        assert up.outputs[f"{name}_status"].value == "installed"
        assert up.outputs[f"{name}_version"].value == "1.0.0"
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)

    # "Disappears": uninstall with the official SDK, as a Dashboard user or script would.
    prod_id = up.outputs["prod_id"].value
    sdk = stripe.StripeClient(emulator.keys["default"]["live"], base_addresses={"api": emulator.url})
    sdk.v1.apps.installs.uninstall(stripe_install_id(prod_id))
    drifted = stack.preview(refresh=True)
    assert drifted.change_summary.get("create") == 1
    restored = stack.up(refresh=True)
    assert restored.summary.resource_changes.get("create") == 1
    stack.preview(expect_no_changes=True)
    assert len(live_installs(control)) == 1

    destroyed = stack.destroy()
    assert destroyed.summary.resource_changes == {"delete": 5}
    assert objects(control, "install") == []


def test_version_bump_upgrades_in_place_and_mode_change_replaces(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    control = surface.control
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(installs_program(app_dir, {"dev": "test"}), config=surface.config())
    first = stack.up()

    set_manifest(app_dir, version="1.1.0")
    bumped = stack.up()
    assert bumped.summary.resource_changes == {"replace": 1, "update": 1, "same": 1}
    assert bumped.outputs["dev_id"].value == first.outputs["dev_id"].value
    assert bumped.outputs["dev_version"].value == "1.1.0"
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)

    stack.workspace.program = installs_program(app_dir, {"dev": "live"})
    moved = stack.up()
    assert moved.summary.resource_changes == {"replace": 1, "same": 2}
    assert [install["livemode"] for install in objects(control, "install")] == [True]
    stack.destroy()


# Only the emulator lists Version History; on Stripe's public surface an upload that asks for no new access
# leaves no trace in the Install API (the next test covers what it does reveal).
@pytest.mark.parametrize("surface", ["full"], indirect=True)
def test_newer_foreign_upload_is_refused_naming_both_versions(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(installs_program(app_dir, {"prod": "live"}), config=surface.config())
    stack.up()

    # Someone else uploads 2.0.0 with the CLI; Stripe moves the live install to it.
    other = write_app(tmp_path / "elsewhere", version="2.0.0", source="export const View = () => 'x';\n")
    other_stack = engine.inline_stack(
        lambda: AppVersion("billing", app_dir=str(other)) and None, project="other", config=surface.config()
    )
    other_stack.up()
    refreshed = stack.refresh()
    assert refreshed.summary.resource_changes.get("update") == 1
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    assert "newest completed upload is version 2.0.0" in str(refused.value)
    assert "declares version 1.0.0" in str(refused.value)


def test_newer_upload_asking_for_new_access_is_refused_from_pending_access(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    """What the Install API alone reveals (Stripe's public surface): a newer upload's pending access."""
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(installs_program(app_dir, {"dev": "test"}), config=surface.config())
    stack.up()

    other = write_app(tmp_path / "elsewhere", version="2.0.0", permissions=("customer_read", "invoice_write"))
    other_stack = engine.inline_stack(
        lambda: AppVersion("billing", app_dir=str(other)) and None, project="other", config=surface.config()
    )
    other_stack.up()
    refreshed = stack.refresh()
    assert "permissions pending approval: invoice_write" in refreshed.stdout + refreshed.stderr
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    expected = (
        "access pending that version 1.0.0 does not ask for (permission invoice_write)"
        if surface.is_stripe
        else "newest completed upload is version 2.0.0"
    )
    assert expected in str(refused.value)
    granted = [install["permissions_granted"] for install in objects(surface.control, "install")]
    assert granted == [["customer_read"]]


def test_missing_live_key_fails_at_preview(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(installs_program(app_dir, {"prod": "live"}), config=surface.config(live=False))
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    assert "pulumi config set --secret stripe-apps:liveApiKey" in str(refused.value)


def test_live_permission_escalation_needs_the_flag(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    control = surface.control
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(installs_program(app_dir, {"prod": "live"}), config=surface.config())
    stack.up()
    set_manifest(
        app_dir,
        version="1.1.0",
        permissions=[
            {"permission": "customer_read", "purpose": "Reads customers"},
            {"permission": "invoice_write", "purpose": "Writes invoices"},
        ],
    )
    previewed = stack.preview()
    assert "adds access: permission invoice_write" in previewed.stdout
    assert "allow_permission_changes=True" in previewed.stdout
    # The app id comes from the AppVersion being replaced: on the emulator preview cannot know it yet (on Stripe
    # it is stack config), and a value not known yet is named as such, never by its placeholder's repr.
    assert "Unknown object" not in previewed.stdout + previewed.stderr
    if not surface.is_stripe:
        assert "upgrading the live install of the app being uploaded to version 1.1.0" in previewed.stdout
    with pytest.raises(auto.CommandError) as blocked:
        stack.up()
    assert "permission invoice_write" in str(blocked.value)
    assert "allow_permission_changes=True" in str(blocked.value)

    assert live_installs(control)[0]["permissions_granted"] == ["customer_read"]
    stack.workspace.program = installs_program(app_dir, {"prod": "live"}, allow_permission_changes=True)
    allowed = stack.up()
    assert allowed.outputs["prod_version"].value == "1.1.0"
    stack.preview(expect_no_changes=True)
    installed = live_installs(control)
    assert len(installed) == 1 and "invoice_write" in installed[0]["permissions_granted"]


def test_failed_install_leaves_no_orphan(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    control = surface.control
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(installs_program(app_dir, {"dev": "test"}), config=surface.config())
    control.transitions(install="fail")
    with pytest.raises(auto.CommandError) as failed:
        stack.up()
    assert "install_failed" in str(failed.value)
    control.transitions(install="immediate")
    stack.up()
    stack.preview(expect_no_changes=True)
    assert [install["status"] for install in objects(control, "install")] == ["installed"]


def test_rate_limited_installs_back_off_and_converge(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    """Stripe's rate-limit 429 carries no Stripe-Should-Retry, so the SDK returns it at once; we back off."""
    control = surface.control
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(installs_program(app_dir, {"dev": "test", "prod": "live"}), config=surface.config())
    control.set_faults(3, [{"route": "POST /v1/apps/installs", "kind": "rate_limit", "probability": 0.5}])
    stack.up()
    limited = [entry for entry in control.fault_log() if entry["fired"]]
    control.clear_faults()
    assert limited, "the seed fired no 429: pick another"
    statuses = [entry["status"] for entry in control.requests() if entry["path"] == "/v1/apps/installs"]
    assert statuses.count(429) == len(limited) and statuses.count(200) == 2
    keys = [entry["idempotency_key"] for entry in control.requests() if entry["path"] == "/v1/apps/installs"]
    assert len(set(keys)) == 2  # one key per install, reused by every retry
    stack.preview(expect_no_changes=True)
    assert sorted(install["livemode"] for install in objects(control, "install")) == [False, True]


def test_a_platforms_installs_on_connected_accounts_converge_under_the_endpoint_limit(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    """Installs on connected accounts are charged to the platform's key, so they share each endpoint's budget."""
    control = surface.control
    platform = surface.keys["default"]["account"]
    accounts = [control.create_account(connected_to=platform)["account"] for _ in range(6)]
    app_dir = write_app(tmp_path / "billing")

    def program() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        for account in accounts:
            AppInstallation(account, app=version.app, version=version.version, mode="test", account=account)

    stack = engine.inline_stack(program, config=surface.config())
    # Stripe's endpoint limit is 25/s; at 1/s the provider's four calls at a time outrun it, not the global one.
    control.rate_limits(enabled=True, live=1000, test=1000, endpoint=1)
    control.clear_requests()
    stack.up(parallel=16)
    sent = control.requests()
    limited = [entry for entry in sent if entry["status"] == 429]
    assert limited and {entry["rate_limit"] for entry in limited} == {"endpoint"}
    creates = [entry for entry in sent if (entry["method"], entry["path"]) == ("POST", "/v1/apps/installs")]
    assert len({entry["idempotency_key"] for entry in creates}) == len(accounts)  # one key per install, every retry
    assert sorted(install["account"] for install in objects(control, "install")) == sorted(accounts)
    stack.preview(expect_no_changes=True)


@pytest.mark.parametrize("surface", ["stripe"], indirect=True)
def test_stripe_surface_live_install_needs_the_versions_access_at_preview(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing")

    def program() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        AppInstallation("prod", app=version.app, version=version.version, mode="live")

    stack = engine.inline_stack(program, config=surface.config())
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    assert "requested_access=version.requested_access" in str(refused.value)
    assert objects(surface.control, "upload") == []


def test_a_forced_replace_installs_again_and_keeps_the_install(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    """`pulumi up --replace` of an install whose app, mode and account stay: Stripe keeps one install per account,
    mode and app, so a create first would return the install the delete then removes. It is uninstalled first."""
    control = surface.control
    stack = engine.inline_stack(
        installs_program(write_app(tmp_path / "billing"), {"dev": "test"}), config=surface.config()
    )
    stack.up()
    urn = next(found["urn"] for found in stack.export_stack().deployment["resources"] if found["urn"].endswith("::dev"))
    forced = stack.up(replace=[urn])
    assert forced.summary.resource_changes == {"replace": 1, "same": 2}
    assert forced.outputs["dev_status"].value == "installed"
    assert [install["status"] for install in objects(control, "install")] == ["installed"]
    stack.refresh(expect_no_changes=True)
    stack.preview(expect_no_changes=True)


def test_new_access_on_a_connected_account_waits_for_its_owner(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    """ "An app developer can't grant new access" (docs: api/apps/installs/update): an upgrade that asks for more on
    a connected account fails, naming who approves it, and records nothing false; once the account's owner approves
    (with their own key here), the next `up` converges."""
    control, emulator = surface.control, surface.emulator
    created = control.create_account(connected_to=surface.keys["default"]["account"])
    account = created["account"]
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(installs_program(app_dir, {"shop": "test"}, account=account), config=surface.config())
    stack.up()

    set_manifest(
        app_dir,
        version="1.1.0",
        permissions=[
            {"permission": "customer_read", "purpose": "Customers"},
            {"permission": "invoice_read", "purpose": "Invoices"},
        ],
    )
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    message = str(refused.value)
    assert f"version 1.1.0 asks for access {account} has not granted (permission invoice_read)" in message
    assert f"ask the owner of {account} to approve the new access" in message
    [install] = objects(control, "install")
    assert install["permissions_granted"] == ["customer_read"]
    recorded = [r for r in stack.export_stack().deployment["resources"] if r["type"].endswith(":AppInstallation")]
    assert recorded[0]["outputs"]["installed_version"] == "1.0.0"

    owner = stripe.StripeClient(created["test"], base_addresses={"api": emulator.url})
    owner.v1.apps.installs.update(install["id"])
    converged = stack.up()
    assert converged.outputs["shop_version"].value == "1.1.0"
    assert converged.outputs["shop_status"].value == "installed"
    stack.preview(expect_no_changes=True)
