"""Preview plans what `up` does, for programs in other languages: through the SDKs generated from schema.json
(TypeScript and Go, so each SDK's resource options are in force) and YAML, on both surfaces.

One stack goes through a mode change (replace), a version bump that adds a permission in live mode (AppVersion
replaced, install updated in place), an account change (replace, onto a connected account made in the emulator's
control plane) and an uninstall in the Dashboard restored by `up --refresh` (create). Before each `up` the same
change is previewed; the steps each command takes (op per URN, from the engine's events as `--json` streams them)
must be equal, and no preview names a value not known yet by its placeholder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi.runtime.rpc import UNKNOWN

from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from tests.support.apps import set_manifest
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.languages import LanguageExample
from tests.support.surfaces import Surface

PROGRAMS = Path(__file__).resolve().parent / "programs" / "plan"
SDK = Path(__file__).resolve().parents[2] / "sdk"
GO_PROJECT = "name: stripe-apps-plan\nruntime:\n  name: go\n  options:\n    {options}\n"
QUIET_OPS = frozenset({"same", "read", "refresh"})  # steps that change nothing
Steps = dict[str, list[str]]
pytestmark = pytest.mark.e2e


def steps(events: str) -> Steps:
    """The ops of each resource a command changes, in order, by resource name (the engine's own resources aside)."""
    found: Steps = {}
    for line in events.splitlines():
        metadata = json.loads(line).get("resourcePreEvent", {}).get("metadata")
        if metadata and metadata["op"] not in QUIET_OPS and not metadata["type"].startswith("pulumi:"):
            found.setdefault(metadata["urn"].rsplit("::", 1)[-1], []).append(metadata["op"])
    return found


def messages(events: str) -> str:
    """What the command shows a user: diagnostics (the provider's warnings among them) but the SDK's debug lines,
    and the program's own output."""
    printed = []
    for line in events.splitlines():
        event = json.loads(line)
        diagnostic = event.get("diagnosticEvent")
        if diagnostic and diagnostic.get("severity") != "debug":
            printed.append(diagnostic["message"])
        if "stdoutEvent" in event:
            printed.append(event["stdoutEvent"]["message"])
    return "".join(printed)


def summary(found: Steps) -> dict[str, str]:
    """One word per resource: a replace shows as its create-replacement, replace and delete-replaced steps."""
    return {name: "replace" if "replace" in ops else "+".join(ops) for name, ops in found.items()}


class PlannedProject:
    """A project whose change is previewed, then applied, both streaming the engine's events as JSON lines."""

    def __init__(self, project: LanguageExample, declare: Callable[[str, str | None], None]) -> None:
        self.project = project
        self.declare = declare  # puts a mode and an account (None: the key's own) into the program
        # Without it `preview --json` prints one digest at the end instead of the events `up --json` streams.
        project.env["PULUMI_ENABLE_STREAMING_JSON_PREVIEW"] = "true"

    def preview_then_up(self, *flags: str) -> tuple[Steps, Steps, str]:
        previewed = self.project.run("preview", "--json", *flags)
        applied = self.project.run("up", "--yes", "--skip-preview", "--json", *flags)  # the preview is the one above
        return steps(previewed.stdout), steps(applied.stdout), messages(previewed.stdout)


def typescript(tmp_path: Path, engine: EngineSandbox, surface: Surface) -> PlannedProject:
    program = {"index.ts": (PROGRAMS / "index.ts").read_text()}
    project = LanguageExample("typescript", tmp_path, engine, surface, program)
    return PlannedProject(project, stack_config(project))


def stack_config(project: LanguageExample) -> Callable[[str, str | None], None]:
    """Declares the mode and account as stack config, which the TypeScript and Go programs read."""

    def declare(mode: str, account: str | None) -> None:
        project.run("config", "set", "mode", mode)
        if account:
            project.run("config", "set", "account", account)
        else:
            project.run("config", "rm", "account", ok=False)  # fails when it was never set: nothing to remove

    return declare


def go(tmp_path: Path, engine: EngineSandbox, surface: Surface) -> PlannedProject:
    """The Go program against the checkout's sdk/ (a `replace` line), its dependencies installed by `pulumi install`
    (the Go host's `go mod tidy`), built once by the Go host into the project's `buildTarget`, then run as the
    prebuilt `binary` by every command (the program never changes; each `go build` would cost a link)."""
    program = {
        "Pulumi.yaml": GO_PROJECT.format(options="buildTarget: bin/plan"),
        "go.mod": (PROGRAMS / "go" / "go.mod.tmpl").read_text().replace("__SDK__", str(SDK)),
        "main.go": (PROGRAMS / "go" / "main.go").read_text(),
    }
    project = LanguageExample("yaml", tmp_path, engine, surface, program)
    project.env.update(GOTOOLCHAIN="local", GOFLAGS="-mod=mod")
    project.run("install", "--no-plugins")  # the plugin is on PATH, not in a plugin cache
    project.run("stack", "select", "--create", "build")
    project.run("preview")  # the Go host builds bin/plan (the program declares nothing that needs config to preview)
    project.run("stack", "rm", "build", "--yes")
    (project.dir / "Pulumi.yaml").write_text(GO_PROJECT.format(options="binary: bin/plan"))
    return PlannedProject(project, stack_config(project))


def yaml(tmp_path: Path, engine: EngineSandbox, surface: Surface) -> PlannedProject:
    project = LanguageExample("yaml", tmp_path, engine, surface)
    template = (PROGRAMS / "Pulumi.yaml.tmpl").read_text()

    def declare(mode: str, account: str | None) -> None:
        lines = template.replace("__MODE__", mode).replace("__ACCOUNT__", account or "").splitlines(keepends=True)
        (project.dir / "Pulumi.yaml").write_text("".join(line for line in lines if line.strip() != "account:"))

    declare("test", None)  # the project's name, before a stack is made for it
    return PlannedProject(project, declare)


@pytest.mark.parametrize("language", [typescript, go, yaml], ids=["typescript", "go", "yaml"])
def test_preview_plans_the_steps_up_takes(
    language: Callable[[Path, EngineSandbox, Surface], PlannedProject],
    tmp_path: Path,
    engine: EngineSandbox,
    surface: Surface,
) -> None:
    planned = language(tmp_path, engine, surface)
    project = planned.project
    project.run("stack", "select", "--create", "dev")
    for key, value in project.settings.items():
        project.run("config", "set", key, value)
    version, install = "billing-helper", "billing-helper-install"
    connected = surface.control.create_account(connected_to=surface.keys["default"]["account"])["account"]
    planned.declare("test", None)

    def change(expected: dict[str, str], *flags: str) -> str:
        previewed, applied, output = planned.preview_then_up(*flags)
        assert previewed == applied, f"preview planned {previewed}, up took {applied}"
        assert summary(applied) == expected
        assert "Unknown object" not in output and UNKNOWN not in output
        return output

    change({version: "create", install: "create"})

    planned.declare("live", None)
    change({install: "replace"})

    manifest = json.loads((project.dir / "app" / "stripe-app.json").read_text())
    permissions = [*manifest["permissions"], {"permission": "invoice_write", "purpose": "Marks invoices paid"}]
    set_manifest(project.dir / "app", version="1.1.0", permissions=permissions)
    bumped = change({version: "replace", install: "update"})
    assert "adds access: permission invoice_write" in bumped
    if not surface.is_stripe:  # on Stripe the app's id is stack config, known at preview
        assert "upgrading the live install of the app being uploaded to version 1.1.0" in bumped
    assert project.outputs()["installedVersion"] == "1.1.0"

    planned.declare("live", connected)
    change({install: "replace"})
    assert project.outputs()["installedAccount"] == connected

    surface.control.dashboard_uninstall(stripe_install_id(project.outputs()["install"]))
    change({install: "create"}, "--refresh")
    assert [found["account"] for found in objects(surface.control, "install")] == [connected]

    project.run("preview", "--expect-no-changes")
    project.run("destroy", "--yes")
    assert objects(surface.control, "install") == []
