"""Two Stripe accounts in one program through explicit providers (`pulumi:providers:stripe-apps` in YAML,
`new stripeApps.Provider(...)` in TypeScript), on both surfaces.

Each provider uploads its own app (app ids are unique across Stripe) and installs it on its own account, as the
emulator records them (in TypeScript each install is also read back with `.get()` by the id it records); the keys
given to the providers (YAML: plain literals; TypeScript: secret stack config) appear nowhere in the stack's
export, and a key rotated on one provider updates that provider alone: no resource is replaced or even updated.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.apps import set_manifest
from tests.support.emulator import objects
from tests.support.engine import EngineSandbox
from tests.support.languages import LanguageExample
from tests.support.surfaces import Surface

PROGRAMS = Path(__file__).resolve().parent / "programs" / "accounts"
PROVIDER = "pulumi:providers:stripe-apps"
pytestmark = pytest.mark.e2e

Settings = dict[str, dict[str, Any]]  # provider name -> its inputs
Declare = Callable[[Settings], None]


def provider_settings(surface: Surface, project: LanguageExample, name: str, key: str, account: str) -> dict[str, Any]:
    """One account's provider inputs, as a user writes them: the API base, the key and, on Stripe, the uploader and
    the app id of that account's app (`app-NAME`, a copy of the example's app under its own manifest id)."""
    app = project.dir / f"app-{name}"
    shutil.copytree(project.dir / "app", app)
    manifest_id = json.loads((app / "stripe-app.json").read_text())["id"] + f".{name}"
    set_manifest(app, id=manifest_id)
    settings: dict[str, Any] = {"apiBase": surface.emulator.url, "testApiKey": key}
    if surface.stripe_cli is not None:
        settings.update(
            uploader="cli",
            stripeCli=str(surface.stripe_cli),
            appIds={manifest_id: surface.control.dashboard_app(manifest_id, account=account)["id"]},
        )
    return settings


def yaml(tmp_path: Path, engine: EngineSandbox, surface: Surface) -> tuple[LanguageExample, Declare]:
    project = LanguageExample("yaml", tmp_path, engine, surface)
    template = (PROGRAMS / "Pulumi.yaml.tmpl").read_text()

    def declare(settings: Settings) -> None:
        # Plain literals in the program: the provider itself marks the keys secret.
        text = template.replace("__A__", json.dumps(settings["a"])).replace("__B__", json.dumps(settings["b"]))
        (project.dir / "Pulumi.yaml").write_text(text)

    declare({"a": {}, "b": {}})  # the project's name, before a stack is made for it
    return project, declare


def typescript(tmp_path: Path, engine: EngineSandbox, surface: Surface) -> tuple[LanguageExample, Declare]:
    project = LanguageExample(
        "typescript", tmp_path, engine, surface, {"index.ts": (PROGRAMS / "index.ts").read_text()}
    )

    def declare(settings: Settings) -> None:
        accounts = {name: {k: v for k, v in inputs.items() if k != "testApiKey"} for name, inputs in settings.items()}
        project.run("config", "set", "accounts", json.dumps(accounts))
        project.run("config", "set", "idNamesVersion", json.dumps(surface.is_stripe))
        for name, inputs in settings.items():
            project.run("config", "set", "--secret", f"{name}Key", inputs["testApiKey"])

    return project, declare


@pytest.mark.parametrize("language", [typescript, yaml], ids=["typescript", "yaml"])
def test_two_accounts_in_one_program_each_install_on_its_own(
    language: Callable[[Path, EngineSandbox, Surface], tuple[LanguageExample, Declare]],
    tmp_path: Path,
    engine: EngineSandbox,
    surface: Surface,
) -> None:
    project, declare = language(tmp_path, engine, surface)
    # Nothing from the environment: every setting reaches the plugin through its provider's inputs.
    project.env = {}
    own = surface.keys["default"]
    other = surface.control.create_account()
    settings = {
        "a": provider_settings(surface, project, "a", own["test"], own["account"]),
        "b": provider_settings(surface, project, "b", other["test"], other["account"]),
    }
    project.run("stack", "select", "--create", "dev")
    declare(settings)

    project.run("up", "--yes")
    installed = project.outputs()["installed"]
    assert {name: found["account"] for name, found in installed.items()} == {
        "a": own["account"],
        "b": other["account"],
    }
    assert {f"test/{found['id']}": found["account"] for found in objects(surface.control, "install")} == {
        installed["a"]["install"]: own["account"],
        installed["b"]["install"]: other["account"],
    }
    if language is typescript:
        # `.get()` by the id each install records reads the same install back, through its account's provider.
        assert project.outputs()["readBack"] == {
            name: {"app": found["app"], "mode": "test", "account": found["account"], "version": "1.0.0"}
            for name, found in installed.items()
        }
    uploads = {found["_account"] for found in objects(surface.control, "upload")}
    assert uploads == {own["account"], other["account"]}

    exported = project.run("stack", "export").stdout
    assert own["test"] not in exported and other["test"] not in exported
    providers = [found for found in json.loads(exported)["deployment"]["resources"] if found["type"] == PROVIDER]
    assert sorted(found["urn"].rsplit("::", 1)[-1] for found in providers) == ["a", "b"]
    for found in providers:
        assert "ciphertext" in found["inputs"]["testApiKey"]

    # A rotated key (account b's restricted install key) changes how calls are made, never which objects exist.
    settings["b"]["testApiKey"] = other["restricted_test_install_account"]
    declare(settings)
    preview = project.run("preview", "--diff").stdout
    assert "~ pulumi:providers:stripe-apps: (update)" in preview and "~ 1 to update" in preview, preview
    assert "replace" not in preview, preview
    project.run("up", "--yes")
    project.run("preview", "--expect-no-changes")
    assert other["restricted_test_install_account"] not in project.run("stack", "export").stdout

    project.run("destroy", "--yes")
    assert objects(surface.control, "install") == []
