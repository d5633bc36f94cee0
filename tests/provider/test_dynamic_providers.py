"""Two Stripe accounts in one Python program: the dynamic resources of the second account take a
`pulumi_stripe_apps.Provider` in `opts.provider`, beside the default provider's stack config, on both surfaces."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pulumi

from pulumi_stripe_apps import AppInstallation, AppVersion, Provider
from tests.support.apps import write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface


def two_accounts(apps: dict[str, Path], provider_b: Callable[[], Provider]) -> Callable[[], None]:
    """Account a through the stack config (the default provider), account b through its own Provider."""

    def program() -> None:
        options = {"a": None, "b": pulumi.ResourceOptions(provider=provider_b())}
        for name, opts in options.items():
            version = AppVersion(f"billing-{name}", app_dir=str(apps[name]), opts=opts)
            install = AppInstallation(
                f"billing-{name}-test", app=version.app, version=version.version, mode="test", opts=opts
            )
            pulumi.export(f"{name}_account", install.installed_account)

    return program


def test_a_provider_per_account_installs_each_app_on_its_own_account(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    own = surface.keys["default"]
    other = surface.control.create_account()
    apps = {name: write_app(tmp_path / name, app_id=f"com.example.billing.{name}") for name in ("a", "b")}
    app_ids = (
        {
            "app_ids": {
                "com.example.billing.b": surface.control.dashboard_app("com.example.billing.b", other["account"])["id"]
            }
        }
        if surface.is_stripe
        else {}
    )
    cli = {"uploader": "cli", "stripe_cli": str(surface.stripe_cli)} if surface.stripe_cli else {}

    def provider_b() -> Provider:
        # Timeouts as numbers; the key in plain text: the Provider marks it secret.
        return Provider(
            "b", api_base=surface.emulator.url, test_api_key=other["test"], poll_timeout=60, **cli, **app_ids
        )

    stack = engine.inline_stack(
        two_accounts(apps, provider_b),
        config=surface.config(live=False, sandbox=False, app_ids=["com.example.billing.a"]),
    )
    up = stack.up()
    assert {name: up.outputs[f"{name}_account"].value for name in ("a", "b")} == {
        "a": own["account"],
        "b": other["account"],
    }
    assert sorted(found["account"] for found in objects(surface.control, "install")) == sorted(
        [own["account"], other["account"]]
    )
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)

    # What is stored: `pulumi stack export` as a user runs it (the Automation API's export shows secrets).
    exported = engine.cli(["stack", "export", "--stack", "test"], cwd=engine.root / "work" / "test")
    assert exported.returncode == 0, exported.stderr
    assert own["test"] not in exported.stdout and other["test"] not in exported.stdout
    resources = json.loads(exported.stdout)["deployment"]["resources"]
    (provider,) = [found for found in resources if found["urn"].endswith("::pulumi:providers:pulumi-python::b")]
    assert "ciphertext" in provider["inputs"]["stripe-apps:testApiKey"]

    stack.destroy()
    assert objects(surface.control, "install") == []
