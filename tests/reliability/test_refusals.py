"""What a user sees when Stripe refuses: wrong key type, revoked key, no `app_install_write`, unknown app.

Every case runs on both surfaces; where a refusal reaches the user by another path on Stripe's surface (an
upload through the Stripe CLI), the assertions name what that path shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppVersion
from stripe_apps_emulator.testing import ControlClient
from tests.support.apps import write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.errors import assert_reported
from tests.support.surfaces import Surface

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def failure(stack: auto.Stack, operation: Callable[[auto.Stack], object], *fragments: str) -> str:
    with pytest.raises(auto.CommandError) as caught:
        operation(stack)
    text = str(caught.value)
    assert_reported(text, *fragments)
    return text


def install_program(app_dir: Path, mode: str, app: str | None = None) -> Callable[[], None]:
    def run() -> None:
        version = AppVersion("billing", app_dir=str(app_dir))
        AppInstallation(
            "billing-install",
            app=app or version.app,
            version=version.version,
            mode=mode,
            sandbox_install_compatible=version.sandbox_install_compatible,
            # A live install on Stripe needs it (refused at preview otherwise); the same program on both surfaces.
            requested_access=version.requested_access,
        )

    return run


def refused_request(control: ControlClient, status: int) -> str:
    """The Request-Id of the one API request the emulator answered with `status`."""
    (request_id,) = [
        entry["request_id"]
        for entry in control.requests()
        if entry["path"].startswith("/v1/") and entry["status"] == status
    ]
    return str(request_id)


def writes(control: ControlClient) -> list[str]:
    """Every API write the emulator saw, on either address (the Stripe CLI's uploads reach the internal one)."""
    return [
        f"{entry['method']} {entry['path']}"
        for entry in control.requests()
        if entry["path"].startswith("/v1/") and entry["method"] != "GET"
    ]


def test_wrong_key_type_for_a_mode_names_the_config_key(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    values = surface.config()
    values["stripe-apps:liveApiKey"] = auto.ConfigValue(surface.keys["default"]["test"], secret=True)
    stack = engine.inline_stack(install_program(write_app(tmp_path / "billing"), "live"), config=values)
    text = failure(
        stack,
        lambda s: s.preview(),
        "property mode",
        "the key in stripe-apps:liveApiKey is a sk_test_... key",
        "live mode needs a key starting with sk_live_ or rk_live_",
    )
    assert surface.keys["default"]["test"][8:] not in text
    assert writes(surface.control) == []  # caught at preview: nothing reached Stripe (or the Stripe CLI)


def test_revoked_key_says_to_set_a_valid_key(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    stack = engine.inline_stack(install_program(write_app(tmp_path / "billing"), "sandbox"), config=surface.config())
    surface.control.revoke_key(surface.keys["sandbox"]["test"])
    text = failure(
        stack,
        lambda s: s.up(),
        "HTTP 401",
        "Expired API Key provided",
        "Fix: the API key was refused (revoked or wrong account): set a valid key in stack config",
    )
    assert f"request {refused_request(surface.control, 401)}" in text
    assert surface.keys["sandbox"]["test"][8:] not in text
    assert objects(surface.control, "install") == []


def test_revoked_upload_key_says_to_set_a_valid_key(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    stack = engine.inline_stack(install_program(write_app(tmp_path / "billing"), "test"), config=surface.config())
    surface.control.revoke_key(surface.keys["default"]["test"])
    # On the emulator the first call with that key is the adoption check's Version History read. On Stripe it is
    # `stripe apps upload`, which exits 0 with a "Failed to register" transcript carrying Stripe's error.
    refused, fix = (
        (
            "uploading app version com.example.billing@1.0.0 failed",
            "Fix: the key in stripe-apps:testApiKey was refused: set a valid test-mode secret key",
        )
        if surface.is_stripe
        else (
            "listing uploads of app com.example.billing failed",
            "Fix: the API key was refused (revoked or wrong account): set a valid key with "
            "`pulumi config set --secret stripe-apps:testApiKey`",
        )
    )
    text = failure(stack, lambda s: s.up(), refused, "HTTP 401", fix)
    assert "Expired API Key provided" in text
    if surface.is_stripe:
        assert "\u00d7 Failed to register Billing helper" in text  # the CLI's own transcript, the key redacted
    assert f"request {refused_request(surface.control, 401)}" in text
    assert surface.keys["default"]["test"][8:] not in text
    assert objects(surface.control, "upload") == [] and objects(surface.control, "install") == []


def test_key_without_install_write_names_the_permission(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing")

    def upload() -> None:
        pulumi.export("app", AppVersion("billing", app_dir=str(app_dir)).app)

    app = engine.inline_stack(upload, project="uploads", config=surface.config()).up().outputs["app"].value
    assert [found["id"] for found in objects(surface.control, "app")] == [app]

    def install() -> None:
        AppInstallation("billing-install", app=app, version="1.0.0", mode="test")

    values = surface.config()
    values["stripe-apps:testApiKey"] = auto.ConfigValue(surface.keys["default"]["restricted_test_no_write"], True)
    text = failure(
        engine.inline_stack(install, config=values),
        lambda s: s.up(),
        f"installing install of {app} in test mode failed",
        "HTTP 403",
        "Fix: give the key the `app_install_write` permission",
    )
    assert f"request {refused_request(surface.control, 403)}" in text
    assert objects(surface.control, "install") == []


def test_unknown_app_says_what_to_do(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    stack = engine.inline_stack(
        install_program(write_app(tmp_path / "billing"), "test", app="app_doesnotexist"), config=surface.config()
    )
    text = failure(stack, lambda s: s.up(), "installing install of app_doesnotexist in test mode failed: ")
    if surface.is_stripe:
        # No Version History to read first: the Install API itself refuses the unknown app, and the report
        # says what to do about it as every other one does.
        request_id = refused_request(surface.control, 404)
        # "No such app" holds for the account the key acts for only: the report names it.
        account = re.escape(surface.keys["default"]["account"])
        refusal = (
            rf"No such app: 'app_doesnotexist' \(on account {account}, the account this key acts for\) "
            rf"\[HTTP 404, code resource_missing, param app, request {request_id}\]"
        )
        assert re.search(refusal + r"\n\s*Fix: \S", text), text
    else:
        account = re.escape(surface.keys["default"]["account"])
        assert re.search(
            rf"the app has no completed upload on account {account}, the account the test-mode key acts for\n"
            r"\s*Fix: upload a version first \(AppVersion\)",
            text,
        ), text
    assert objects(surface.control, "install") == []
