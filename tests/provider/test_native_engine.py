"""The native provider plugin through the real engine: the same behaviours as the dynamic resources, `pulumi import`,
and a stack moving from the dynamic resources to the native ones without a replace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest
import stripe
from pulumi import automation as auto
from pulumi.automation._stack import ImportResource

from pulumi_stripe_apps import AppInstallation, AppVersion
from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from tests.support.apps import set_manifest, write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.errors import stray_tracebacks
from tests.support.native import resource
from tests.support.surfaces import Surface


def recorded_install_ids(stack: auto.Stack) -> list[str]:
    resources = stack.export_stack().deployment["resources"]
    return [found["id"] for found in resources if found["type"] == "stripe-apps:index:AppInstallation"]


def native_program(app_dir: Path, modes: dict[str, str], **install_args: object) -> Callable[[], None]:
    def program() -> None:
        version = resource("AppVersion", "billing", app_dir=str(app_dir))
        for name, mode in modes.items():
            install = resource(
                "AppInstallation",
                name,
                app=version.app,  # type: ignore[attr-defined]
                version=version.version,  # type: ignore[attr-defined]
                mode=mode,
                sandbox_install_compatible=version.sandboxInstallCompatible,  # type: ignore[attr-defined]
                requested_access=version.requestedAccess,  # type: ignore[attr-defined]
                **install_args,
            )
            pulumi.export(f"{name}_id", install.id)
            pulumi.export(f"{name}_status", install.status)  # type: ignore[attr-defined]
            pulumi.export(f"{name}_version", install.installedVersion)  # type: ignore[attr-defined]

    return program


def test_every_mode_converges_and_an_out_of_band_uninstall_is_restored(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing")
    modes = {"dev": "test", "staging": "sandbox", "prod": "live"}
    stack = engine.inline_stack(native_program(app_dir, modes), config=surface.config())
    up = stack.up()
    assert {up.outputs[f"{name}_status"].value for name in modes} == {"installed"}
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)

    prod = up.outputs["prod_id"].value
    sdk = stripe.StripeClient(surface.keys["default"]["live"], base_addresses={"api": surface.emulator.url})
    assert prod.startswith("live/appinst_")  # the import form: MODE/appinst_...
    sdk.v1.apps.installs.uninstall(stripe_install_id(prod))
    refreshed = stack.refresh()
    assert f"install {stripe_install_id(prod)}" in refreshed.stdout and "is gone" in refreshed.stdout
    restored = stack.up()
    assert restored.summary.resource_changes == {"create": 1, "same": 4}
    stack.preview(expect_no_changes=True)

    set_manifest(app_dir, version="1.1.0")
    bumped = stack.up()
    assert bumped.summary.resource_changes == {"replace": 1, "update": 3, "same": 1}
    assert {bumped.outputs[f"{name}_version"].value for name in modes} == {"1.1.0"}
    assert stack.destroy().summary.resource_changes == {"delete": 5}
    assert objects(surface.control, "install") == []


def test_a_forced_replace_keeps_the_install(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    """`pulumi up --replace` asks the provider nothing and creates first: the plugin leaves the install its create
    was handed back (one per account, mode and app) to the new resource instead of uninstalling it."""
    stack = engine.inline_stack(
        native_program(write_app(tmp_path / "billing"), {"dev": "test"}), config=surface.config()
    )
    stack.up()
    urn = next(found["urn"] for found in stack.export_stack().deployment["resources"] if found["urn"].endswith("::dev"))
    forced = stack.up(replace=[urn])
    assert forced.summary.resource_changes == {"replace": 1, "same": 2}
    assert "is kept: a resource of this stack installed it in this run" in forced.stdout
    assert [install["status"] for install in objects(surface.control, "install")] == ["installed"]
    stack.refresh(expect_no_changes=True)


def test_an_install_still_installing_when_the_create_stops_is_recorded(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    """The create's wait ends (customTimeouts) while Stripe is still installing: the plugin reports the install it
    made, so the engine records it; `destroy` would remove it, and the next `up` resumes it without a second one."""
    control = surface.control
    app_dir = write_app(tmp_path / "billing")

    def program() -> None:
        version = resource("AppVersion", "billing", app_dir=str(app_dir))
        resource(
            "AppInstallation",
            "dev",
            opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="1s")),
            app=version.app,  # type: ignore[attr-defined]
            version=version.version,  # type: ignore[attr-defined]
            mode="test",
        )

    stack = engine.inline_stack(program, config=surface.config())
    control.transitions(install="held")
    with pytest.raises(auto.CommandError) as stopped:
        stack.up()
    assert "still installing after 1s (customTimeouts.create)" in str(stopped.value)
    [install] = objects(control, "install")
    assert recorded_install_ids(stack) == [f"test/{install['id']}"]
    control.release()
    control.transitions(install="immediate")
    resumed = stack.up()
    assert resumed.summary.resource_changes == {"update": 1, "same": 2}
    assert [found["id"] for found in objects(control, "install")] == [install["id"]]
    stack.preview(expect_no_changes=True)
    assert stack.destroy().summary.resource_changes == {"delete": 3}
    assert objects(control, "install") == []


def test_the_live_permission_gate_holds(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(native_program(app_dir, {"prod": "live"}), config=surface.config())
    stack.up()
    more = [{"permission": name, "purpose": "Needs it"} for name in ("customer_read", "invoice_write")]
    set_manifest(app_dir, version="1.1.0", permissions=more)
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    message = str(refused.value)
    assert "permission invoice_write" in message and "allow_permission_changes=True" in message
    assert stray_tracebacks(message) == [] and "Traceback" not in message  # the native front: the message alone
    stack.workspace.program = native_program(app_dir, {"prod": "live"}, allow_permission_changes=True)
    assert stack.up().outputs["prod_version"].value == "1.1.0"
    stack.preview(expect_no_changes=True)


def test_a_newer_foreign_upload_is_refused(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    app_dir = write_app(tmp_path / "billing")
    stack = engine.inline_stack(native_program(app_dir, {"dev": "test"}), config=surface.config())
    stack.up()
    # The emulator's Version History shows any newer upload; Stripe's Install API shows only one that asks for
    # new access (as pending access), so on Stripe's surface the foreign upload asks for invoice_write.
    extra = ("invoice_write",) if surface.is_stripe else ()
    other = write_app(
        tmp_path / "other",
        version="2.0.0",
        permissions=("customer_read", *extra),
        source="export const View = () => 'x';\n",
    )
    engine.inline_stack(
        lambda: AppVersion("billing", app_dir=str(other)) and None, project="other", config=surface.config()
    ).up()
    stack.refresh()
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    message = str(refused.value)
    expected = (
        ("access pending that version 1.0.0 does not ask for (permission invoice_write)", "Fix: declare the newest")
        if surface.is_stripe
        else ("newest completed upload is version 2.0.0", "Fix: declare version 2.0.0")
    )
    assert all(fragment in message for fragment in expected), message
    assert stray_tracebacks(message) == [] and "Traceback" not in message  # the native front: the message alone


def test_import_adopts_an_install_made_with_the_sdk(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    app_dir = write_app(tmp_path / "billing")
    versions = engine.inline_stack(
        lambda: pulumi.export("app", resource("AppVersion", "billing", app_dir=str(app_dir)).app),  # type: ignore[attr-defined]
        project="versions",
        config=surface.config(),
    )
    app = versions.up().outputs["app"].value
    sdk = stripe.StripeClient(surface.keys["default"]["test"], base_addresses={"api": surface.emulator.url})
    made = sdk.v1.apps.installs.create({"app": app, "channel": "private_test"})

    def program() -> None:
        resource("AppInstallation", "dev", app=app, version="1.0.0", mode="test")

    stack = engine.inline_stack(program, config=surface.config())
    # Stripe shows no installed version; only the emulator's Version History can name it, so name it here.
    import_id = f"test/{made.id}" if not surface.is_stripe else f"test/{made.id}@1.0.0"
    imported = stack.import_resources(
        resources=[ImportResource(type="stripe-apps:index:AppInstallation", name="dev", id=import_id)],
        protect=False,
        generate_code=False,
    )
    assert imported.summary.resource_changes == {"import": 1, "create": 1}
    stack.preview(expect_no_changes=True)
    assert [install["id"] for install in objects(surface.control, "install")] == [made.id]
    assert recorded_install_ids(stack) == [f"test/{made.id}"]  # the import id, less the version

    # State recorded before ids carried the mode holds Stripe's bare id: it keeps working, and a refresh moves it
    # to the import form without planning a change.
    exported = stack.export_stack()
    for found in exported.deployment["resources"]:
        if found["type"] == "stripe-apps:index:AppInstallation":
            found["id"] = made.id
    stack.import_stack(exported)
    stack.preview(expect_no_changes=True)
    assert stack.refresh().summary.resource_changes == {"same": 2}
    assert recorded_install_ids(stack) == [f"test/{made.id}"]
    stack.preview(expect_no_changes=True)

    with pytest.raises(auto.CommandError) as missing:
        stack.import_resources(
            resources=[
                ImportResource(type="stripe-apps:index:AppInstallation", name="ghost", id="test/appinst_test_0")
            ],
            protect=False,
            generate_code=False,
        )
    assert "No such app install" in str(missing.value)
    resources = stack.export_stack().deployment["resources"]
    assert [found["urn"].rsplit("::", 1)[-1] for found in resources if "AppInstallation" in found["type"]] == ["dev"]

    with pytest.raises(auto.CommandError) as refused:
        stack.import_resources(
            resources=[ImportResource(type="stripe-apps:index:AppVersion", name="v", id="whatever")],
            protect=False,
            generate_code=False,
        )
    assert "cannot be rebuilt from Stripe: its app_dir is a local directory" in str(refused.value)
    stack.destroy()


def test_a_dynamic_stack_moves_to_the_native_resources_without_a_replace(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing")

    def dynamic() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        AppInstallation(
            "dev", app=version.app, version=version.version, mode="test", requested_access=version.requested_access
        )

    stack = engine.inline_stack(dynamic, config=surface.config())
    stack.up()
    stack.workspace.program = native_program(app_dir, {"dev": "test"})
    moved = stack.preview()
    assert moved.change_summary == {"same": 3}, moved.stdout
    assert stack.up().summary.resource_changes == {"same": 3}
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)
    assert len(objects(surface.control, "install")) == 1 and len(objects(surface.control, "upload")) == 1
