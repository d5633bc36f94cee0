"""OAuth installs (PKCE) through the real engine on both fronts and both surfaces: the auth_code Stripe issues for a
code challenge is a secret output, a new challenge asks for a new code in place, and no code is stored in plain text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppVersion
from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from tests.support.apps import write_app
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.native import resource
from tests.support.surfaces import Surface

# S256 challenges: BASE64URL(SHA256(verifier)) for the verifier of RFC 7636 appendix B and for another one.
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
NEW_CHALLENGE = "VGFNYFdme_HcTJwm-znF39gBDerliKuY8ouMmYX6Ygc"
# A code verifier of 64 characters (RFC 7636 allows 43 to 128): what a mix-up passes instead of its challenge.
VERIFIER = "M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY2dXp1c2pNZkx2aVZ0cTBNZ1NjRW1x"


def oauth_program(front: str, app_dir: Path, account: str, challenge: str) -> Callable[[], None]:
    def dynamic() -> None:
        version = AppVersion("oauth-app", app_dir=str(app_dir))
        install = AppInstallation(
            "customer", app=version.app, version=version.version, mode="test", account=account, code_challenge=challenge
        )
        pulumi.export("id", install.id)
        pulumi.export("auth_code", install.auth_code)

    def native() -> None:
        version = resource("AppVersion", "oauth-app", app_dir=str(app_dir))
        install = resource(
            "AppInstallation",
            "customer",
            app=version.app,  # type: ignore[attr-defined]
            version=version.version,  # type: ignore[attr-defined]
            mode="test",
            account=account,
            code_challenge=challenge,
        )
        pulumi.export("id", install.id)
        pulumi.export("auth_code", install.authCode)  # type: ignore[attr-defined]

    return dynamic if front == "dynamic" else native


def assert_stored_only_encrypted(engine: EngineSandbox, auth_code: str) -> None:
    """What is stored: `pulumi stack export` as a user runs it, and every file of the backend (history too)."""
    exported = engine.cli(["stack", "export", "--stack", "test"], cwd=engine.root / "work" / "test")
    assert exported.returncode == 0, exported.stderr
    assert '"authCode"' in exported.stdout or '"auth_code"' in exported.stdout  # the check is meaningful
    assert auth_code not in exported.stdout
    stored = [path.read_text(errors="replace") for path in (engine.root / "backend").rglob("*") if path.is_file()]
    assert stored and all(auth_code not in text for text in stored)


@pytest.mark.parametrize("front", ["dynamic", "native"])
def test_a_code_challenge_gets_a_secret_auth_code_and_a_new_challenge_a_new_code_in_place(
    engine: EngineSandbox, surface: Surface, tmp_path: Path, front: str
) -> None:
    control = surface.control
    account = control.create_account(connected_to=surface.keys["default"]["account"])["account"]
    app_dir = write_app(tmp_path / "oauth", app_id="com.example.oauth", extra={"stripe_api_access_type": "oauth"})
    config = surface.config(app_ids=["com.example.oauth"])
    stack = engine.inline_stack(oauth_program(front, app_dir, account, CHALLENGE), config=config)

    up = stack.up()
    [install] = objects(control, "install")
    assert up.outputs["auth_code"].secret and up.outputs["auth_code"].value == install["auth_code"]
    assert install["auth_code"].startswith("ac_") and install["account"] == account
    assert_stored_only_encrypted(engine, install["auth_code"])
    assert install["auth_code"] not in up.stdout + up.stderr
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)

    stack.workspace.program = oauth_program(front, app_dir, account, NEW_CHALLENGE)
    renewed = stack.up()
    assert renewed.summary.resource_changes == {"update": 1, "same": 2}  # the stack, the AppVersion
    [after] = objects(control, "install")
    assert renewed.outputs["id"].value == up.outputs["id"].value  # an update keeps the resource's id
    assert after["id"] == install["id"] == stripe_install_id(renewed.outputs["id"].value)
    assert renewed.outputs["auth_code"].value == after["auth_code"] != install["auth_code"]
    assert_stored_only_encrypted(engine, after["auth_code"])
    assert after["auth_code"] not in renewed.stdout + renewed.stderr
    stack.preview(expect_no_changes=True)

    # The verifier passed where its challenge belongs fails at preview, naming the property and the fix.
    stack.workspace.program = oauth_program(front, app_dir, account, VERIFIER)
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    message = str(refused.value)
    assert "code_challenge is 64 characters" in message, message
    assert "BASE64URL(SHA256(code_verifier))" in message, message
    assert f"property {'codeChallenge' if front == 'native' else 'code_challenge'} value" in message, message
