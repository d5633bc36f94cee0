"""What a user sees when Stripe refuses: wrong key type, revoked key, no `app_install_write`, unknown app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppVersion
from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.reliability.support import config
from tests.support.apps import write_app
from tests.support.engine import EngineSandbox
from tests.support.errors import stray_tracebacks

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def failure(stack: auto.Stack, operation: Callable[[auto.Stack], object]) -> str:
    with pytest.raises(auto.CommandError) as caught:
        operation(stack)
    text = str(caught.value)
    assert stray_tracebacks(text) == [], text
    return text


def install_program(app_dir: Path, mode: str, app: str | None = None) -> Callable[[], None]:
    def run() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        AppInstallation("billing-install", app=app or version.app, version=version.version, mode=mode)

    return run


def test_wrong_key_type_for_a_mode_names_the_config_key(
    engine: EngineSandbox, emulator: RunningEmulator, tmp_path: Path
) -> None:
    values = config(emulator)
    values["stripe-apps:liveApiKey"] = auto.ConfigValue(emulator.keys["default"]["test"], secret=True)
    stack = engine.inline_stack(install_program(write_app(tmp_path / "billing"), "live"), config=values)
    text = failure(stack, lambda s: s.preview())
    assert "property mode" in text
    assert "the key in stripe-apps:liveApiKey is a sk_test_... key" in text
    assert "live mode needs a key starting with sk_live_ or rk_live_" in text
    assert emulator.keys["default"]["test"][8:] not in text


def test_revoked_key_says_to_set_a_valid_key(
    engine: EngineSandbox, emulator: RunningEmulator, control: ControlClient, tmp_path: Path
) -> None:
    stack = engine.inline_stack(install_program(write_app(tmp_path / "billing"), "sandbox"), config=config(emulator))
    control.revoke_key(emulator.keys["sandbox"]["test"])
    text = failure(stack, lambda s: s.up())
    assert "HTTP 401" in text and "Expired API Key provided" in text
    assert "the API key was refused (revoked or wrong account): set a valid key in stack config" in text
    assert emulator.keys["sandbox"]["test"][8:] not in text


def test_revoked_upload_key_says_to_set_a_valid_key(
    engine: EngineSandbox, emulator: RunningEmulator, control: ControlClient, tmp_path: Path
) -> None:
    stack = engine.inline_stack(install_program(write_app(tmp_path / "billing"), "test"), config=config(emulator))
    control.revoke_key(emulator.keys["default"]["test"])
    text = failure(stack, lambda s: s.up())
    assert "HTTP 401" in text and "Expired API Key provided" in text
    assert "set a valid key with `pulumi config set --secret stripe-apps:testApiKey`" in text
    assert emulator.keys["default"]["test"][8:] not in text


def test_key_without_install_write_names_the_permission(
    engine: EngineSandbox, emulator: RunningEmulator, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing")

    def upload() -> None:
        AppVersion("billing", app_dir=str(app_dir))

    engine.inline_stack(upload, project="uploads", config=config(emulator)).up()
    apps = emulator.backend.store.all("app")
    assert len(apps) == 1

    def install() -> None:
        AppInstallation("billing-install", app=str(apps[0]["id"]), version="1.0.0", mode="test")

    values = config(emulator)
    values["stripe-apps:testApiKey"] = auto.ConfigValue(emulator.keys["default"]["restricted_test_no_write"], True)
    text = failure(engine.inline_stack(install, config=values), lambda s: s.up())
    assert "HTTP 403" in text
    assert "give the key the `app_install_write` permission" in text


def test_unknown_app_says_what_to_do(engine: EngineSandbox, emulator: RunningEmulator, tmp_path: Path) -> None:
    stack = engine.inline_stack(
        install_program(write_app(tmp_path / "billing"), "test", app="app_doesnotexist"), config=config(emulator)
    )
    text = failure(stack, lambda s: s.up())
    assert "app_doesnotexist" in text
    assert "HTTP 404" in text or "has no completed upload" in text
    assert "AppVersion.app" in text or "upload a version first" in text
