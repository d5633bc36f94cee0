"""AppSecret through the real engine, on the emulator's full surface and on Stripe's public surface."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pytest
import stripe
from pulumi import automation as auto

from pulumi_stripe_apps import AppSecret
from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.support.engine import EngineSandbox
from tests.support.errors import assert_reported, stray_tracebacks
from tests.support.surfaces import Surface

Scope = stripe.params.apps.SecretCreateParamsScope
ACCOUNT: Scope = {"type": "account"}
IDENTITY = "test/account/slack_token"  # the resource id of the secret `secret_program` declares
# Pulumi's signature for a secret value in state (pulumi.runtime.rpc._special_sig_key / _special_secret_sig).
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
FIRST = "xoxb-first-0a1b2c3d"
SECOND = "xoxb-second-4e5f6a7b"


def config(emulator: RunningEmulator) -> dict[str, auto.ConfigValue]:
    return {
        "stripe-apps:apiBase": auto.ConfigValue(emulator.url),
        "stripe-apps:testApiKey": auto.ConfigValue(emulator.keys["default"]["test"], secret=True),
    }


def secret_program(
    payload: str, *, name: str = "slack_token", secret_input: bool = True, **args: Any
) -> Callable[[], None]:
    def program() -> None:
        secret = AppSecret(
            "slack-token",
            name=name,
            payload=pulumi.Output.secret(payload) if secret_input else payload,
            mode="test",
            **args,
        )
        pulumi.export("id", secret.id)
        pulumi.export("payload", secret.payload)
        pulumi.export("scope", secret.scope)
        pulumi.export("user", secret.user)
        pulumi.export("expires_at", secret.expires_at)
        pulumi.export("livemode", secret.livemode)
        pulumi.export("created", secret.created)

    return program


def sdk(emulator: RunningEmulator) -> stripe.StripeClient:
    """The official SDK, as a script or another team would use it outside the stack."""
    return stripe.StripeClient(emulator.keys["default"]["test"], base_addresses={"api": emulator.url})


def stored_payload(emulator: RunningEmulator, name: str = "slack_token", scope: Scope = ACCOUNT) -> str:
    found = sdk(emulator).v1.apps.secrets.find({"name": name, "scope": scope, "expand": ["payload"]})
    return str(found.payload)


def counts(summary: Mapping[Any, int] | None) -> dict[str, int]:
    """An engine change summary with plain operation names, e.g. {"update": 1, "same": 1}."""
    return {str(getattr(op, "value", op)): count for op, count in (summary or {}).items()}


def state_id(stack: auto.Stack) -> str:
    """The AppSecret's id as recorded in state (stack outputs only change on `up`)."""
    deployment = stack.export_stack().deployment
    assert deployment is not None
    resources = deployment["resources"]
    return str(next(found["id"] for found in resources if found["type"].endswith(":AppSecret")))


def with_stripe_id(stack: auto.Stack, stripe_id: str) -> None:
    """Rewrites the AppSecret's recorded id to Stripe's `appsecret_` id, as the code before ids were identities
    recorded it (`pulumi stack export`, edit, `pulumi stack import`)."""
    exported = stack.export_stack()
    for found in exported.deployment["resources"]:
        if found["type"].endswith(":AppSecret"):
            found["id"] = stripe_id
    stack.import_stack(exported)


def secret_requests(control: ControlClient) -> list[dict[str, Any]]:
    return [request for request in control.requests() if "/v1/apps/secrets" in str(request.get("path"))]


def test_lifecycle_is_strict_and_restores_out_of_band_changes(engine: EngineSandbox, surface: Surface) -> None:
    emulator = surface.emulator
    stack = engine.inline_stack(secret_program(FIRST), config=surface.config())
    up = stack.up()
    assert up.outputs["id"].value == IDENTITY
    assert up.outputs["payload"].secret
    assert (up.outputs["scope"].value, up.outputs["livemode"].value) == ("account", False)
    assert "user" not in up.outputs  # a null output is not exported
    assert stored_payload(emulator) == FIRST
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)

    stack.workspace.program = secret_program(SECOND)
    changed = stack.up()
    assert counts(changed.summary.resource_changes) == {"update": 1, "same": 1}
    assert stored_payload(emulator) == SECOND
    # Stripe's set gives the replaced secret a new `appsecret_` id; the resource's id is its identity and stays.
    assert state_id(stack) == IDENTITY
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)
    assert state_id(stack) == IDENTITY

    # State recorded before the id was the identity holds Stripe's id: a refresh moves it over, nothing replaced.
    live = sdk(emulator).v1.apps.secrets.find({"name": "slack_token", "scope": ACCOUNT})
    with_stripe_id(stack, live.id)
    assert state_id(stack) == live.id
    migrated = stack.refresh()
    assert counts(migrated.summary.resource_changes) == {"same": 2}
    assert state_id(stack) == IDENTITY
    stack.preview(expect_no_changes=True)

    # "Disappears": deleted with the official SDK outside the stack.
    sdk(emulator).v1.apps.secrets.delete_where({"name": "slack_token", "scope": ACCOUNT})
    drifted = stack.preview(refresh=True)
    assert counts(drifted.change_summary) == {"create": 1, "same": 1}
    restored = stack.up(refresh=True)
    assert counts(restored.summary.resource_changes) == {"create": 1, "same": 1}
    assert stored_payload(emulator) == SECOND
    stack.preview(expect_no_changes=True)

    # Out-of-band payload change: refresh sees it, up puts the declared payload back.
    sdk(emulator).v1.apps.secrets.create({"name": "slack_token", "payload": "tampered", "scope": ACCOUNT})
    refreshed = stack.refresh()
    assert counts(refreshed.summary.resource_changes) == {"update": 1, "same": 1}
    assert counts(stack.preview().change_summary) == {"update": 1, "same": 1}
    repaired = stack.up()
    assert counts(repaired.summary.resource_changes) == {"update": 1, "same": 1}
    assert stored_payload(emulator) == SECOND
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)

    destroyed = stack.destroy()
    assert counts(destroyed.summary.resource_changes) == {"delete": 2}  # the secret and the stack
    assert sdk(emulator).v1.apps.secrets.list({"scope": ACCOUNT}).data == []


def test_state_never_holds_a_payload_or_key_in_plain_text(engine: EngineSandbox, surface: Surface) -> None:
    emulator = surface.emulator
    # A plain string on purpose: the resource must encrypt it even when the program did not.
    stack = engine.inline_stack(secret_program(FIRST, secret_input=False), config=surface.config())
    stack.up()
    stack.refresh(expect_no_changes=True)
    stack.workspace.program = secret_program(SECOND, secret_input=False)
    stack.up()
    stack.refresh(expect_no_changes=True)
    keys = [value for keys in emulator.keys.values() for value in keys.values() if value.startswith(("sk_", "rk_"))]
    assert keys

    # The Automation API exports with --show-secrets: the payload shows only inside secret envelopes.
    deployment = stack.export_stack().deployment
    assert "slack_token" in json.dumps(deployment)  # the export holds the resource, so the checks are meaningful
    in_the_clear = json.dumps(_without_secrets(deployment))
    for plain in (FIRST, SECOND, *keys):
        assert plain not in in_the_clear

    # What is stored: `pulumi stack export` as a user runs it, and every file of the backend (history too).
    exported = engine.cli(["stack", "export", "--stack", "test"], cwd=engine.root / "work" / "test")
    assert exported.returncode == 0, exported.stderr
    assert "slack_token" in exported.stdout
    stored = [path.read_text(errors="replace") for path in (engine.root / "backend").rglob("*") if path.is_file()]
    assert any("slack_token" in text for text in stored)
    for plain in (FIRST, SECOND, *keys):
        assert plain not in exported.stdout
        assert all(plain not in text for text in stored)
    stack.destroy()


def _without_secrets(value: Any) -> Any:
    """The deployment with every secret envelope (`{sig: secret, plaintext}`) emptied."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return "[secret]"
        return {key: _without_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_secrets(item) for item in value]
    return value


def test_user_scope_and_moving_between_users_replaces(engine: EngineSandbox, surface: Surface) -> None:
    emulator = surface.emulator
    alice: Scope = {"type": "user", "user": "usr_alice"}
    bob: Scope = {"type": "user", "user": "usr_bob"}
    stack = engine.inline_stack(secret_program(FIRST, scope="user", user="usr_alice"), config=surface.config())
    up = stack.up()
    assert (up.outputs["scope"].value, up.outputs["user"].value) == ("user", "usr_alice")
    assert stored_payload(emulator, scope=alice) == FIRST
    assert sdk(emulator).v1.apps.secrets.list({"scope": ACCOUNT}).data == []
    stack.preview(expect_no_changes=True)
    stack.refresh(expect_no_changes=True)

    stack.workspace.program = secret_program(FIRST, scope="user", user="usr_bob")
    moved = stack.up()
    assert counts(moved.summary.resource_changes) == {"replace": 1, "same": 1}
    client = sdk(emulator)
    assert client.v1.apps.secrets.list({"scope": alice}).data == []
    assert stored_payload(emulator, scope=bob) == FIRST
    stack.preview(expect_no_changes=True)

    stack.destroy()
    assert client.v1.apps.secrets.list({"scope": bob}).data == []


@pytest.mark.parametrize(
    ("args", "prop", "says"),
    [
        ({"scope": "user"}, "user", "scope='user' needs user"),
        ({"scope": "user", "user": "alice"}, "user", "usr_"),
        ({"user": "usr_alice"}, "user", "only used with scope='user'"),
        ({"scope": "team"}, "scope", "allowed values: account, user"),
        ({"expires_at": int(time.time()) - 60}, "expires_at", "in the past"),
        ({"expires_at": int(time.time()) + 101 * 365 * 86400}, "expires_at", "more than 100 years"),
        ({"name": ""}, "name", "name is required"),
    ],
)
def test_argument_mistakes_fail_at_preview_without_http(
    engine: EngineSandbox,
    emulator: RunningEmulator,
    control: ControlClient,
    *,
    args: dict[str, Any],
    prop: str,
    says: str,
) -> None:
    stack = engine.inline_stack(secret_program(FIRST, **args), config=config(emulator))
    control.clear_requests()
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    message = str(refused.value)
    assert f"[{prop}]" in message or f"{prop}:" in message or f"property {prop}" in message, message
    assert says in message
    assert secret_requests(control) == []


def test_expired_secret_is_planned_again_and_needs_a_new_expiry(engine: EngineSandbox, surface: Surface) -> None:
    control = surface.control
    now = int(control.advance_clock(0))
    stack = engine.inline_stack(secret_program(FIRST, expires_at=now + 60), config=surface.config())
    up = stack.up()
    assert up.outputs["expires_at"].value == now + 60
    stack.preview(expect_no_changes=True)

    later = int(control.advance_clock(120))
    assert counts(stack.preview(refresh=True).change_summary) == {"create": 1, "same": 1}
    # The declared expiry is now behind Stripe's clock: Stripe refuses it and the error names the field.
    with pytest.raises(auto.CommandError) as refused:
        stack.up(refresh=True)
    assert_reported(str(refused.value), "param expires_at")

    stack.workspace.program = secret_program(FIRST, expires_at=later + 3600)
    renewed = stack.up(refresh=True)
    assert counts(renewed.summary.resource_changes) == {"create": 1, "same": 1}
    assert renewed.outputs["expires_at"].value == later + 3600
    stack.preview(expect_no_changes=True)


def test_limit_of_ten_per_scope_is_named_with_the_fix(engine: EngineSandbox, surface: Surface) -> None:
    emulator = surface.emulator
    client = sdk(emulator)
    for index in range(10):
        client.v1.apps.secrets.create({"name": f"other_{index}", "payload": "p", "scope": ACCOUNT})
    stack = engine.inline_stack(secret_program(FIRST), config=surface.config())
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    message = str(refused.value)
    assert "10 secrets per scope" in message
    assert "code secret_limit_exceeded" in message
    assert "delete a secret you no longer need" in message
    assert stray_tracebacks(message) == []


def test_values_known_only_at_apply_pass_preview(engine: EngineSandbox, emulator: RunningEmulator) -> None:
    def program() -> None:
        first = AppSecret("first", name="first", payload=pulumi.Output.secret(FIRST), mode="test")
        # Unknown during the first preview: check must not mistake them for missing values.
        AppSecret(
            "derived",
            name=first.name.apply(lambda name: f"{name}_copy"),
            payload=first.id.apply(lambda id_: f"ref-{id_}"),
            mode="test",
            scope="user",
            user=first.id.apply(lambda _: "usr_alice"),
        )

    stack = engine.inline_stack(program, config=config(emulator))
    assert counts(stack.preview().change_summary) == {"create": 3}  # two secrets and the stack
    stack.up()
    stack.preview(expect_no_changes=True)
    assert stored_payload(emulator, "first_copy", {"type": "user", "user": "usr_alice"}) == "ref-test/account/first"
    stack.destroy()


def test_a_forced_replace_sets_the_secret_again_and_keeps_it(engine: EngineSandbox, surface: Surface) -> None:
    """`pulumi up --replace` (or `replaceOnChanges`) with no input that asks for a new secret: the new secret is
    the same one (set by name and scope), so the old one is deleted first and the secret is there afterwards."""
    stack = engine.inline_stack(secret_program(FIRST), config=surface.config())
    stack.up()
    urn = next(found["urn"] for found in stack.export_stack().deployment["resources"] if found.get("id") == IDENTITY)
    forced = stack.up(replace=[urn])
    assert counts(forced.summary.resource_changes) == {"replace": 1, "same": 1}
    assert stored_payload(surface.emulator) == FIRST
    assert state_id(stack) == IDENTITY
    stack.refresh(expect_no_changes=True)
    stack.preview(expect_no_changes=True)


def test_a_renamed_resource_keeps_the_secret_it_holds(engine: EngineSandbox, surface: Surface) -> None:
    """A resource renamed without an alias: the engine creates the new one (the same secret, set again) and then
    deletes the old one, which must not delete the secret the new one holds."""
    stack = engine.inline_stack(secret_program(FIRST), config=surface.config())
    stack.up()

    def renamed() -> None:
        AppSecret("slack-token-renamed", name="slack_token", payload=pulumi.Output.secret(FIRST), mode="test")

    stack.workspace.program = renamed
    moved = stack.up()
    assert counts(moved.summary.resource_changes) == {"create": 1, "delete": 1, "same": 1}
    assert stored_payload(surface.emulator) == FIRST
    stack.refresh(expect_no_changes=True)
