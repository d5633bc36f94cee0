"""The policy pack through the real engine (`--policy-pack`), on both fronts: a Python program of the dynamic resources
(Automation API) and a YAML program of the native ones (the CLI in a project directory).

Each front runs one preview in which every policy fails (one message each, told apart by the policy's name and the
resource) and one in which every policy passes, and a `pulumi up` refused by a mandatory violation before any
request reaches the emulator. The previews run on the emulator's full surface only: the policies read nothing but the
program's declarations and the stack, never the surface, and the public surface refuses `distribution: public` in
the provider's check, before any policy sees the install. The refused `up` runs on both surfaces, since what it
proves is that neither surface is sent anything.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppSecret, AppVersion
from pulumi_stripe_apps.policy import PACK_DIR
from tests.support.apps import write_app
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface

pytestmark = pytest.mark.e2e

PROJECT = "guard"
PROD = f"organization/{PROJECT}/prod"
STAGING = f"organization/{PROJECT}/staging"
PACK = "stripe-apps-guardrails@v0.1.0"
DAY = 86400


def policy_config(path: Path, *, allowed_stacks: list[str]) -> str:
    path.write_text(
        json.dumps(
            {
                "permission-changes-marked": {"pattern": "CHG-[0-9]+"},
                "promotion-tested-first": {"stacks": [STAGING]},
                "secrets-guarded": {"maxAgeDays": 90},
                "public-distribution-allowed": {"allowedStacks": allowed_stacks},
            }
        )
    )
    return str(path)


def violations(output: str) -> list[tuple[str, str, str, str]]:
    """(level, policy, resource, message) of each violation the CLI lists under `Policies:`."""
    lines = output.splitlines()
    found = []
    for index, line in enumerate(lines):
        head = line.strip()
        if head.startswith("- [") and "]  " in head:
            level, rest = head[3:].split("]  ", 1)
            policy, resource = rest.split("  (", 1)
            # The policy's description, then the message (one line each).
            found.append((level, policy, resource.rstrip(")"), lines[index + 2].strip()))
    return found


def publish(engine: EngineSandbox, stack: str, entries: list[dict[str, str]]) -> None:
    """A stack that only publishes what it installs (`stripeAppsInstalled`), as a real one would after its up."""
    engine.inline_stack(lambda: pulumi.export("stripeAppsInstalled", entries), project=PROJECT, stack=stack).up()


def references() -> None:
    """What a program hands the policies: the publications of the staging stack and of its own last deployment."""
    pulumi.export(
        "stripeAppsStacks",
        {
            name: pulumi.StackReference(f"{name}-ref", stack_name=name).get_output("stripeAppsInstalled")
            for name in (STAGING, PROD)
        },
    )


# --- the dynamic resources (Python) ------------------------------------------------------------------------------
def failing_program(billing: Path, legacy: Path) -> Callable[[], None]:
    def program() -> None:
        version = AppVersion("billing", app_dir=str(billing))
        AppVersion("legacy", app_dir=str(legacy))
        AppInstallation(
            "billing-live",
            app=version.app,
            version=version.version,
            mode="live",
            distribution="public",
            allow_permission_changes=True,
            requested_access=version.requested_access,
        )
        AppSecret("slack", name="slack_token", payload=pulumi.Config().require("slackToken"), mode="live")
        references()

    return program


def passing_program(billing: Path) -> Callable[[], None]:
    def program() -> None:
        version = AppVersion("billing", app_dir=str(billing))
        AppInstallation(
            "billing-live",
            app=version.app,
            version=version.version,
            mode="live",
            distribution="public",
            allow_permission_changes=True,
            requested_access=version.requested_access,
            opts=pulumi.ResourceOptions(protect=True),
        )
        AppSecret(
            "slack",
            name="slack_token",
            payload=pulumi.Config().require_secret("slackToken"),
            mode="live",
            expires_at=int(time.time()) + 30 * DAY,
        )
        references()

    return program


@pytest.mark.parametrize("surface", ["full"], indirect=True)
def test_every_policy_fails_then_passes_on_the_dynamic_resources(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    publish(engine, "staging", [{"app": "com.example.billing", "version": "2.2.0", "mode": "test"}])
    publish(engine, "prod", [{"app": "com.example.billing", "version": "2.1.0", "mode": "live"}])
    billing = write_app(tmp_path / "billing", version="2.0.0")
    legacy = write_app(tmp_path / "legacy", app_id="com.example.legacy", version="1.0")
    stack = engine.inline_stack(
        failing_program(billing, legacy), project=PROJECT, stack="prod", config=surface.config()
    )
    stack.set_config("slackToken", auto.ConfigValue("xoxb-plain"))
    with pytest.raises(auto.CommandError) as refused:
        stack.preview(
            policy_packs=[str(PACK_DIR)],
            policy_pack_configs=[policy_config(tmp_path / "deny.json", allowed_stacks=["market"])],
        )
    install = "pulumi-python:dynamic/stripeapps:AppInstallation: billing-live"
    assert sorted(violations(str(refused.value))) == sorted(
        [
            (
                "mandatory",
                "live-installs-protected",
                install,
                "AppInstallation 'billing-live' installs in live mode without protect: set the resource option "
                "protect (opts=pulumi.ResourceOptions(protect=True)), so no update can delete or replace it by "
                "accident",
            ),
            (
                "advisory",
                "permission-changes-marked",
                install,
                "AppInstallation 'billing-live' sets allow_permission_changes in live mode without a change marker: "
                "name the change that approved the new access in stack config guard:changeTicket "
                "(pulumi config set changeTicket CHG-1234)",
            ),
            (
                "mandatory",
                "promotion-tested-first",
                install,
                "AppInstallation 'billing-live' installs version 2.0.0 of com.example.billing in live mode, but no "
                "install of that version in test or sandbox mode is declared in this stack or published by a stack "
                f"the policy config names ({STAGING}): install it in test or a sandbox first",
            ),
            (
                "mandatory",
                "versions-ascending",
                "pulumi-python:dynamic/stripeapps:AppVersion: legacy",
                "AppVersion 'legacy' declares version '1.0', which is not a semantic version: use "
                "MAJOR.MINOR.PATCH, e.g. 1.4.0",
            ),
            (
                "mandatory",
                "versions-ascending",
                "pulumi-python:dynamic/stripeapps:AppVersion: billing",
                "AppVersion 'billing' declares version 2.0.0, below 2.1.0 that this stack published before: "
                "versions never go down; to roll back, upload the old content again under a new, higher version",
            ),
            (
                "mandatory",
                "versions-ascending",
                install,
                "AppInstallation 'billing-live' declares version 2.0.0, below 2.1.0 that this stack published "
                "before: versions never go down; to roll back, upload the old content again under a new, higher "
                "version",
            ),
            (
                "advisory",
                "secrets-guarded",
                "pulumi-python:dynamic/stripeapps:AppSecret: slack",
                "AppSecret 'slack' takes its payload from stack config guard:slackToken, which is stored in plain "
                "text: set it as a secret (pulumi config set --secret slackToken)",
            ),
            (
                "advisory",
                "secrets-guarded",
                "pulumi-python:dynamic/stripeapps:AppSecret: slack",
                "AppSecret 'slack' in live mode has no expires_at, and the policy config sets a maximum age of 90 "
                "days: set expires_at to unix seconds at most 90 days ahead",
            ),
            (
                "mandatory",
                "public-distribution-allowed",
                install,
                f"AppInstallation 'billing-live' sets distribution 'public' (a Marketplace listing) from stack {PROD}, "
                "which the policy config does not allow (allowedStacks: market): keep distribution 'private' here",
            ),
        ]
    )

    # Every policy satisfied: protected, marked, promoted in staging, versions up, the payload a secret that expires.
    write_app(billing, version="2.2.0")
    stack.workspace.program = passing_program(billing)
    stack.set_config("slackToken", auto.ConfigValue("xoxb-secret", secret=True))
    stack.set_config("changeTicket", auto.ConfigValue("CHG-1234"))
    passed = stack.preview(
        policy_packs=[str(PACK_DIR)],
        policy_pack_configs=[policy_config(tmp_path / "allow.json", allowed_stacks=["prod"])],
    )
    assert violations(passed.stdout) == []
    assert f"✅ {PACK}" in passed.stdout


# --- the native resources (YAML) --------------------------------------------------------------------------------
YAML_REFERENCES = f"""
  staging-ref:
    type: pulumi:pulumi:StackReference
    properties: {{name: {STAGING}}}
  prod-ref:
    type: pulumi:pulumi:StackReference
    properties: {{name: {PROD}}}
"""
YAML_OUTPUTS = f"""
outputs:
  stripeAppsStacks:
    {STAGING}: ${{staging-ref.outputs["stripeAppsInstalled"]}}
    {PROD}: ${{prod-ref.outputs["stripeAppsInstalled"]}}
"""


YAML_CONFIG = "config:\n  slackToken:\n    type: string\n"


def yaml_project(directory: Path, resources: str, *, outputs: str = YAML_OUTPUTS, config: str = YAML_CONFIG) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: yaml\n{config}resources:{resources}{outputs}")
    return directory


YAML_FAILING = """
  billing:
    type: stripe-apps:index:AppVersion
    properties: {appDir: billing}
  legacy:
    type: stripe-apps:index:AppVersion
    properties: {appDir: legacy}
  billing-live:
    type: stripe-apps:index:AppInstallation
    properties:
      app: ${billing.app}
      version: ${billing.version}
      mode: live
      distribution: public
      allowPermissionChanges: true
      requestedAccess: ${billing.requestedAccess}
  slack:
    type: stripe-apps:index:AppSecret
    properties: {name: slack_token, payload: "${slackToken}", mode: live}
"""
# In-stack promotion this time: the test install of the same upload and version.
YAML_PASSING = """
  billing:
    type: stripe-apps:index:AppVersion
    properties: {appDir: billing}
  billing-test:
    type: stripe-apps:index:AppInstallation
    properties: {app: "${billing.app}", version: "${billing.version}", mode: test}
  billing-live:
    type: stripe-apps:index:AppInstallation
    properties:
      app: ${billing.app}
      version: ${billing.version}
      mode: live
      distribution: public
      allowPermissionChanges: true
      requestedAccess: ${billing.requestedAccess}
    options: {protect: true}
  slack:
    type: stripe-apps:index:AppSecret
    properties: {name: slack_token, payload: "${slackToken}", mode: live, expiresAt: EXPIRES}
"""


class Project:
    """A YAML project run with the CLI as a user runs it, with the surface's settings in the environment."""

    def __init__(self, directory: Path, engine: EngineSandbox, surface: Surface, app_ids: list[str]) -> None:
        self.dir, self.engine, self.env = directory, engine, surface.env(app_ids=app_ids)

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = self.engine.cli(list(args), cwd=self.dir, env=self.env)
        if ok:
            assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done


def yaml_publish(directory: Path, engine: EngineSandbox, surface: Surface, stack: str, entries: Any) -> None:
    outputs = "\noutputs:\n  stripeAppsInstalled: " + json.dumps(entries) + "\n"
    project = Project(yaml_project(directory / stack, " {}", outputs=outputs, config=""), engine, surface, [])
    project.run("stack", "select", "--create", stack)
    project.run("up", "--yes")


@pytest.mark.parametrize("surface", ["full"], indirect=True)
def test_every_policy_fails_then_passes_on_the_native_resources(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    yaml_publish(tmp_path, engine, surface, "staging", [])
    yaml_publish(
        tmp_path, engine, surface, "prod", [{"app": "com.example.billing", "version": "2.1.0", "mode": "live"}]
    )
    directory = yaml_project(tmp_path / "program", YAML_FAILING + YAML_REFERENCES)
    write_app(directory / "billing", version="2.0.0")
    write_app(directory / "legacy", app_id="com.example.legacy", version="1.0")
    project = Project(directory, engine, surface, ["com.example.billing", "com.example.legacy"])
    project.run("stack", "select", "prod")
    project.run("config", "set", "--plaintext", "slackToken", "xoxb-plain")
    refused = project.run(
        "preview",
        "--policy-pack",
        str(PACK_DIR),
        "--policy-pack-config",
        policy_config(tmp_path / "deny.json", allowed_stacks=["market"]),
        ok=False,
    )
    assert refused.returncode != 0
    install = "stripe-apps:index:AppInstallation: billing-live"
    assert sorted(violations(refused.stdout)) == sorted(
        [
            (
                "mandatory",
                "live-installs-protected",
                install,
                "AppInstallation 'billing-live' installs in live mode without protect: set the resource option "
                "protect (options: {protect: true}), so no update can delete or replace it by accident",
            ),
            (
                "advisory",
                "permission-changes-marked",
                install,
                "AppInstallation 'billing-live' sets allowPermissionChanges in live mode without a change marker: "
                "name the change that approved the new access in stack config guard:changeTicket "
                "(pulumi config set changeTicket CHG-1234)",
            ),
            (
                "mandatory",
                "promotion-tested-first",
                install,
                "AppInstallation 'billing-live' installs version 2.0.0 of com.example.billing in live mode, but no "
                "install of that version in test or sandbox mode is declared in this stack or published by a stack "
                f"the policy config names ({STAGING}): install it in test or a sandbox first",
            ),
            (
                "mandatory",
                "versions-ascending",
                "stripe-apps:index:AppVersion: legacy",
                "AppVersion 'legacy' declares version '1.0', which is not a semantic version: use "
                "MAJOR.MINOR.PATCH, e.g. 1.4.0",
            ),
            (
                "mandatory",
                "versions-ascending",
                "stripe-apps:index:AppVersion: billing",
                "AppVersion 'billing' declares version 2.0.0, below 2.1.0 that this stack published before: "
                "versions never go down; to roll back, upload the old content again under a new, higher version",
            ),
            (
                "mandatory",
                "versions-ascending",
                install,
                "AppInstallation 'billing-live' declares version 2.0.0, below 2.1.0 that this stack published "
                "before: versions never go down; to roll back, upload the old content again under a new, higher "
                "version",
            ),
            (
                "advisory",
                "secrets-guarded",
                "stripe-apps:index:AppSecret: slack",
                "AppSecret 'slack' takes its payload from stack config guard:slackToken, which is stored in plain "
                "text: set it as a secret (pulumi config set --secret slackToken)",
            ),
            (
                "advisory",
                "secrets-guarded",
                "stripe-apps:index:AppSecret: slack",
                "AppSecret 'slack' in live mode has no expiresAt, and the policy config sets a maximum age of 90 "
                "days: set expiresAt to unix seconds at most 90 days ahead",
            ),
            (
                "mandatory",
                "public-distribution-allowed",
                install,
                f"AppInstallation 'billing-live' sets distribution 'public' (a Marketplace listing) from stack {PROD}, "
                "which the policy config does not allow (allowedStacks: market): keep distribution 'private' here",
            ),
        ]
    )

    yaml_project(directory, YAML_PASSING.replace("EXPIRES", str(int(time.time()) + 30 * DAY)) + YAML_REFERENCES)
    write_app(directory / "billing", version="2.2.0")
    project.run("config", "set", "--secret", "slackToken", "xoxb-secret")
    project.run("config", "set", "changeTicket", "CHG-1234")
    passed = project.run(
        "preview",
        "--policy-pack",
        str(PACK_DIR),
        "--policy-pack-config",
        policy_config(tmp_path / "allow.json", allowed_stacks=["prod"]),
    )
    assert violations(passed.stdout) == []
    assert f"✅ {PACK}" in passed.stdout


# --- a mandatory violation stops `pulumi up` before anything reaches Stripe --------------------------------------
PYTHON_UNPROTECTED = """
import pulumi_stripe_apps as stripe_apps

version = stripe_apps.AppVersion("billing", app_dir="billing")
stripe_apps.AppInstallation(
    "billing-live", app=version.app, version=version.version, mode="live", requested_access=version.requested_access
)
"""
YAML_UNPROTECTED = """
  billing:
    type: stripe-apps:index:AppVersion
    properties: {appDir: billing}
  billing-live:
    type: stripe-apps:index:AppInstallation
    properties:
      app: ${billing.app}
      version: ${billing.version}
      mode: live
      requestedAccess: ${billing.requestedAccess}
"""


@pytest.mark.parametrize("front", ["python", "yaml"])
def test_up_is_refused_on_a_mandatory_violation_before_any_request(
    front: str, engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    directory = tmp_path / "program"
    if front == "python":
        directory.mkdir()
        (directory / "Pulumi.yaml").write_text(
            f"name: {PROJECT}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
        )
        (directory / "__main__.py").write_text(PYTHON_UNPROTECTED)
    else:
        yaml_project(directory, YAML_UNPROTECTED, outputs="", config="")
    write_app(directory / "billing")
    project = Project(directory, engine, surface, ["com.example.billing"])
    project.run("stack", "select", "--create", "prod")
    surface.control.clear_requests()

    refused = project.run("up", "--yes", "--policy-pack", str(PACK_DIR), ok=False)

    assert refused.returncode != 0
    # A resource policy and a stack policy: both stop `up` in the preview it runs first.
    assert sorted(violation[:2] for violation in violations(refused.stdout)) == [
        ("mandatory", "live-installs-protected"),
        ("mandatory", "promotion-tested-first"),
    ]
    assert "error: preview failed" in refused.stdout + refused.stderr
    # The provider may ask the emulator who it is when it starts (its handshake); nothing else may arrive. The
    # test's own reads and clearing of the request log are left out.
    log = surface.control.requests()
    sent = {(request["method"], request["path"]) for request in log if request["path"] != "/_emulator/requests"}
    assert sent <= {("GET", "/_emulator/identity")}
