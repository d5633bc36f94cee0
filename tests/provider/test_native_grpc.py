"""The native plugin at the gRPC level: every ResourceProvider method over a real socket, against the emulator on
both surfaces (its full surface, and Stripe's public surface with the Stripe CLI stand-in)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi import automation as auto
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc, status_pb2

from pulumi_stripe_apps.fields import whole_property
from pulumi_stripe_apps.native.marshal import SECRET_SIG, SIG_KEY, Names
from pulumi_stripe_apps.native.server import config_lookup, serve
from pulumi_stripe_apps.resources.app_installation import FIELDS as INSTALL_FIELDS
from pulumi_stripe_apps.resources.app_installation import AppInstallationProvider
from pulumi_stripe_apps.schema import render_schema
from pulumi_stripe_apps.settings import load_settings
from tests.support.apps import write_app
from tests.support.emulator import objects
from tests.support.surfaces import Surface

VERSION = "stripe-apps:index:AppVersion"
INSTALL = "stripe-apps:index:AppInstallation"
SECRET = "stripe-apps:index:AppSecret"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(values)
    return out


def plain(found: struct_pb2.Struct) -> dict[str, Any]:
    values: dict[str, Any] = json_format.MessageToDict(found)
    return values


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:dev::grpc::{kind}::{name}"


def uploaded(configured: provider_pb2_grpc.ResourceProviderStub, app_dir: Path) -> dict[str, Any]:
    """An AppVersion of `app_dir`, checked and created as the engine does: its outputs."""
    inputs = configured.Check(
        provider_pb2.CheckRequest(urn=urn(VERSION, "v"), type=VERSION, news=struct({"appDir": str(app_dir)}))
    ).inputs
    created = configured.Create(provider_pb2.CreateRequest(urn=urn(VERSION, "v"), type=VERSION, properties=inputs))
    return plain(created.properties)


def install_inputs(configured: provider_pb2_grpc.ResourceProviderStub, app: str) -> struct_pb2.Struct:
    """The checked inputs of a test-mode install of version 1.0.0 of `app`."""
    news = struct({"app": app, "version": "1.0.0", "mode": "test"})
    checked: struct_pb2.Struct = configured.Check(
        provider_pb2.CheckRequest(urn=urn(INSTALL, "i"), type=INSTALL, news=news)
    ).inputs
    return checked


@pytest.fixture
def plugin() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    server, port = serve(None, 4)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
    server.stop(None)


def engine_configure(config: dict[str, auto.ConfigValue]) -> provider_pb2.ConfigureRequest:
    """A default provider's Configure as the engine sends it: stack config as strings in `args` (secrets marked)
    and in `variables` (`stripe-apps:config:NAME`)."""
    names = {key.removeprefix("stripe-apps:"): value for key, value in config.items()}
    args = {
        name: {SIG_KEY: SECRET_SIG, "value": value.value} if value.secret else value.value
        for name, value in names.items()
    }
    variables = {f"stripe-apps:config:{name}": value.value for name, value in names.items()}
    return provider_pb2.ConfigureRequest(args=struct(args), variables=variables, acceptSecrets=True)


@pytest.fixture
def configured(
    plugin: provider_pb2_grpc.ResourceProviderStub, surface: Surface
) -> provider_pb2_grpc.ResourceProviderStub:
    reply = plugin.Configure(engine_configure(surface.config()))
    assert reply.acceptSecrets and not reply.supportsPreview
    return plugin


def test_plugin_info_schema_and_cancel(plugin: provider_pb2_grpc.ResourceProviderStub) -> None:
    assert plugin.GetPluginInfo(empty_pb2.Empty()).version
    schema = json.loads(plugin.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)
    assert schema == json.loads(render_schema())
    assert schema["config"]["variables"]["liveApiKey"]["secret"] is True
    assert plugin.Cancel(empty_pb2.Empty()) == empty_pb2.Empty()


def test_check_config_names_the_bad_key(plugin: provider_pb2_grpc.ResourceProviderStub) -> None:
    good = plugin.CheckConfig(provider_pb2.CheckRequest(urn="p", news=struct({"apiBase": "http://127.0.0.1:1"})))
    assert list(good.failures) == []
    bad = plugin.CheckConfig(provider_pb2.CheckRequest(urn="p", news=struct({"appIds": "not json"})))
    assert [(failure.property, "JSON object" in failure.reason) for failure in bad.failures] == [("appIds", True)]
    changed = plugin.DiffConfig(
        provider_pb2.DiffRequest(olds=struct({"apiBase": "a", "version": "1"}), news=struct({"apiBase": "b"}))
    )
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME and list(changed.replaces) == []


def test_check_config_marks_keys_secret_and_leaves_unknowns_to_up(
    plugin: provider_pb2_grpc.ResourceProviderStub,
) -> None:
    news = {"testApiKey": "sk_test_plain", "liveApiKey": UNKNOWN, "pollTimeout": UNKNOWN, "apiBase": "http://x"}
    checked = plugin.CheckConfig(provider_pb2.CheckRequest(urn="p", news=struct(news)))
    assert list(checked.failures) == []
    assert plain(checked.inputs) == {
        "testApiKey": {SIG_KEY: SECRET_SIG, "value": "sk_test_plain"},
        "liveApiKey": {SIG_KEY: SECRET_SIG, "value": UNKNOWN},
        "pollTimeout": UNKNOWN,
        "apiBase": "http://x",
    }
    bad = plugin.CheckConfig(provider_pb2.CheckRequest(urn="p", news=struct({"pollTimeout": "soon"})))
    assert [(failure.property, "positive number" in failure.reason) for failure in bad.failures] == [
        ("pollTimeout", True)
    ]


def test_a_rotated_key_changes_the_provider_and_replaces_nothing(
    plugin: provider_pb2_grpc.ResourceProviderStub,
) -> None:
    old = {"testApiKey": {SIG_KEY: SECRET_SIG, "value": "sk_test_old"}, "version": "0.1.0"}
    same = plugin.DiffConfig(provider_pb2.DiffRequest(old_inputs=struct(old), news=struct({**old, "version": "0.2"})))
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    new = {"testApiKey": {SIG_KEY: SECRET_SIG, "value": "rk_test_new"}}
    rotated = plugin.DiffConfig(provider_pb2.DiffRequest(old_inputs=struct(old), news=struct(new)))
    assert rotated.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(rotated.diffs) == ["testApiKey"] and list(rotated.replaces) == []


@pytest.mark.parametrize(
    "args",
    [
        # An explicit provider's inputs as the schema types them (YAML, Go).
        {"pollTimeout": 7, "uploadTimeout": 9.5, "appIds": {"com.example.billing": "app_typed"}},
        # The same from the Node.js SDK, which sends every non-string input as JSON, and stack config as it was
        # written before the schema typed them (a default provider's args are strings).
        {"pollTimeout": "7", "uploadTimeout": "9.5", "appIds": '{"com.example.billing": "app_typed"}'},
    ],
)
def test_configure_takes_typed_inputs_and_the_strings_of_older_stacks(args: dict[str, Any]) -> None:
    secret_key = {SIG_KEY: SECRET_SIG, "value": "sk_test_from_args"}
    request = provider_pb2.ConfigureRequest(args=struct({**args, "testApiKey": secret_key}))
    settings = load_settings(config_lookup(dict(request.variables), plain(request.args)))
    assert (settings.poll_timeout, settings.upload_timeout) == (7.0, 9.5)
    assert settings.app_ids == {"com.example.billing": "app_typed"}
    assert settings.keys == {"test": "sk_test_from_args"}


def writes(surface: Surface) -> list[str]:
    """Every API write the emulator saw, on either address (the Stripe CLI's uploads reach the internal one)."""
    return [
        f"{entry['method']} {entry['path']}"
        for entry in surface.control.requests()
        if entry["path"].startswith("/v1/") and entry["method"] != "GET"
    ]


INSTALLED = {
    "app": "app_1",
    "version": "1.0.0",
    "mode": "live",
    "distribution": "private",
    "allowPermissionChanges": False,
    "installedVersion": "1.0.0",
    "installedAccount": "acct_own",
    "drift": [],
}
KIND = provider_pb2.PropertyDiff


@pytest.mark.parametrize(
    ("olds", "news", "ignore", "detailed"),
    [
        # A version bump while preview cannot know the app yet (its AppVersion is being replaced): an update.
        ({}, {"app": UNKNOWN, "version": "1.1.0"}, [], {"version": (KIND.UPDATE, True)}),
        ({}, {"mode": "test"}, [], {"mode": (KIND.UPDATE_REPLACE, True)}),
        ({}, {"mode": UNKNOWN}, [], {"mode": (KIND.UPDATE_REPLACE, True)}),
        ({}, {"account": "acct_connected"}, [], {"account": (KIND.ADD_REPLACE, True)}),
        ({"drift": ["status is install_failed, not installed"]}, {}, [], {"drift": (KIND.DELETE, False)}),
        ({"installedVersion": "1.2.0"}, {}, [], {"installedVersion": (KIND.UPDATE, False)}),
        ({"drift": ["status is install_failed, not installed"]}, {}, ["drift"], {}),
        ({}, {"mode": "test", "version": "1.1.0"}, ['["mode"]'], {"version": (KIND.UPDATE, True)}),
        (
            {},
            {"version": "1.1.0", "requestedAccess": {"permissions": ["customer_read"]}},
            ["requestedAccess.permissions"],
            {"version": (KIND.UPDATE, True), "requestedAccess": (KIND.ADD, True)},
        ),
    ],
)
def test_diff_returns_the_detailed_diff_the_dynamic_front_agrees_with(
    plugin: provider_pb2_grpc.ResourceProviderStub,
    olds: dict[str, Any],
    news: dict[str, Any],
    ignore: list[str],
    detailed: dict[str, tuple[int, bool]],
) -> None:
    """Property paths with their kinds (output-only changes with inputDiff false) and the program's ignoreChanges;
    the same provider object's `diff`, as the dynamic front calls it, finds the same changes and replaces."""
    old_state = {**INSTALLED, **olds}
    outputs_only = ("installedVersion", "installedAccount", "drift")
    new_inputs = {key: value for key, value in {**INSTALLED, **news}.items() if key not in outputs_only}
    found = plugin.Diff(
        provider_pb2.DiffRequest(
            id="appinst_1",
            urn=urn(INSTALL, "i"),
            type=INSTALL,
            olds=struct(old_state),
            news=struct(new_inputs),
            ignoreChanges=ignore,
        )
    )
    assert found.hasDetailedDiff
    assert {path: (diff.kind, diff.inputDiff) for path, diff in found.detailedDiff.items()} == detailed
    assert sorted(found.diffs) == sorted(detailed)
    replace_kinds = {KIND.ADD_REPLACE, KIND.UPDATE_REPLACE, KIND.DELETE_REPLACE}
    assert sorted(found.replaces) == sorted(path for path, (kind, _) in detailed.items() if kind in replace_kinds)
    assert found.changes == (provider_pb2.DiffResponse.DIFF_SOME if detailed else provider_pb2.DiffResponse.DIFF_NONE)

    # The dynamic front's call: snake_case names, the same provider object.
    names = Names.of(INSTALL_FIELDS)
    dynamic = AppInstallationProvider().diff(
        "appinst_1",
        {names.to_core.get(key, key): value for key, value in old_state.items()},
        {names.to_core.get(key, key): value for key, value in new_inputs.items()},
        {names.to_core.get(name, name) for name in map(whole_property, ignore) if name},
    )
    assert bool(dynamic.changes) is bool(detailed)
    assert sorted(names.to_schema[name] for name in dynamic.replaces or []) == sorted(found.replaces)


def test_a_public_install_passes_check_on_the_emulator_and_is_refused_on_stripe(
    configured: provider_pb2_grpc.ResourceProviderStub, surface: Surface
) -> None:
    """Marketplace review has no public API: on Stripe a public install is refused at Check, before any call."""
    news = {
        "app": "app_" + "a" * 14,
        "version": "1.0.0",
        "mode": "live",
        "distribution": "public",
        "requestedAccess": {"permissions": ["customer_read"]},
    }
    public = configured.Check(provider_pb2.CheckRequest(urn=urn(INSTALL, "p"), type=INSTALL, news=struct(news)))
    if surface.is_stripe:
        assert [failure.property for failure in public.failures] == ["distribution"]
        assert "no public Stripe API (the Dashboard only)" in public.failures[0].reason
        assert "uninstall the app from live mode, then submit it for review" in public.failures[0].reason
    else:
        assert list(public.failures) == []
    assert writes(surface) == []


def test_the_lifecycle_of_an_install_over_grpc(
    configured: provider_pb2_grpc.ResourceProviderStub, surface: Surface, tmp_path: Path
) -> None:
    app_dir = write_app(tmp_path / "billing")
    checked = configured.Check(
        provider_pb2.CheckRequest(urn=urn(VERSION, "v"), type=VERSION, news=struct({"appDir": str(app_dir)}))
    )
    assert list(checked.failures) == []
    inputs = plain(checked.inputs)
    assert inputs["appId"] == "com.example.billing" and inputs["requestedAccess"]["permissions"] == ["customer_read"]
    created = configured.Create(
        provider_pb2.CreateRequest(urn=urn(VERSION, "v"), type=VERSION, properties=checked.inputs)
    )
    version = plain(created.properties)
    assert version["app"] == objects(surface.control, "app")[0]["id"]
    assert [upload["version"] for upload in objects(surface.control, "upload")] == ["1.0.0"]
    if surface.is_stripe:
        # The CLI reports acceptance only, and the signing secret is read in the Dashboard there.
        assert version["status"] == "uploaded" and version.get("signingSecret") is None
    else:
        assert version["status"] == "completed"
        assert version["signingSecret"][SIG_KEY] == SECRET_SIG  # a secret output stays marked

    # Preview: an unknown app passes Check; a wrong mode fails it, named in the schema's casing.
    preview = configured.Check(
        provider_pb2.CheckRequest(
            urn=urn(INSTALL, "i"),
            type=INSTALL,
            news=struct({"app": UNKNOWN, "version": "1.0.0", "mode": "staging", "allowPermissionChanges": True}),
        )
    )
    assert [failure.property for failure in preview.failures] == ["mode"]

    news = struct({"app": version["app"], "version": "1.0.0", "mode": "test"})
    install_inputs = configured.Check(provider_pb2.CheckRequest(urn=urn(INSTALL, "i"), type=INSTALL, news=news)).inputs
    installed = configured.Create(
        provider_pb2.CreateRequest(urn=urn(INSTALL, "i"), type=INSTALL, properties=install_inputs)
    )
    outputs = plain(installed.properties)
    assert installed.id.startswith("test/appinst_test_") and outputs["status"] == "installed"  # MODE/appinst_...
    assert outputs["installedAccount"] == surface.keys["default"]["account"]

    same = configured.Diff(
        provider_pb2.DiffRequest(
            id=installed.id, urn=urn(INSTALL, "i"), type=INSTALL, olds=installed.properties, news=install_inputs
        )
    )
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    moved = configured.Diff(
        provider_pb2.DiffRequest(
            id=installed.id,
            urn=urn(INSTALL, "i"),
            type=INSTALL,
            olds=installed.properties,
            news=struct({**plain(install_inputs), "mode": "live"}),
        )
    )
    assert moved.changes == provider_pb2.DiffResponse.DIFF_SOME and list(moved.replaces) == ["mode"]

    read = configured.Read(
        provider_pb2.ReadRequest(
            id=installed.id, urn=urn(INSTALL, "i"), type=INSTALL, properties=installed.properties, inputs=install_inputs
        )
    )
    assert read.id == installed.id and plain(read.inputs)["version"] == "1.0.0"
    updated = configured.Update(
        provider_pb2.UpdateRequest(
            id=installed.id, urn=urn(INSTALL, "i"), type=INSTALL, olds=installed.properties, news=install_inputs
        )
    )
    assert plain(updated.properties)["status"] == "installed"

    # Stripe's Install API names no installed version: only the emulator's Version History can, so on Stripe the
    # import id names it.
    # The id the install records is the import id (plus the version where Version History cannot be read).
    import_id = f"{installed.id}@1.0.0" if surface.is_stripe else installed.id
    if surface.is_stripe:
        with pytest.raises(grpc.RpcError) as unnamed:
            configured.Read(provider_pb2.ReadRequest(id=installed.id, urn=urn(INSTALL, "x"), type=INSTALL))
        assert f"name the installed version in the import id: {installed.id}@VERSION" in str(unnamed.value.details())
    imported = configured.Read(provider_pb2.ReadRequest(id=import_id, urn=urn(INSTALL, "x"), type=INSTALL))
    assert imported.id == installed.id
    rebuilt = plain(imported.inputs)
    expected = {"app": version["app"], "version": "1.0.0", "mode": "test", "distribution": "private"}
    assert {key: rebuilt.get(key) for key in expected} == expected  # every input, from the id alone
    assert rebuilt["requestedAccess"]["permissions"] == ["customer_read"]  # what the install holds

    # `pulumi destroy`, a new operation (its Configure starts it): in the operation that created it, a delete would
    # leave the install to the resource that made it (made_here.py).
    configured.Configure(engine_configure(surface.config()))
    configured.Delete(
        provider_pb2.DeleteRequest(id=installed.id, urn=urn(INSTALL, "i"), type=INSTALL, properties=updated.properties)
    )
    gone = configured.Read(
        provider_pb2.ReadRequest(id=installed.id, urn=urn(INSTALL, "i"), type=INSTALL, properties=updated.properties)
    )
    assert gone.id == ""  # the engine plans a create
    with pytest.raises(grpc.RpcError) as missing:
        configured.Read(provider_pb2.ReadRequest(id=import_id, urn=urn(INSTALL, "x"), type=INSTALL))
    assert "No such app install" in str(missing.value.details())
    assert "Traceback" not in str(missing.value.details())
    assert objects(surface.control, "install") == []


def test_a_secret_input_stays_secret_and_imports_by_name(
    configured: provider_pb2_grpc.ResourceProviderStub, surface: Surface
) -> None:
    payload = {SIG_KEY: SECRET_SIG, "value": "xoxb-1"}
    news = struct({"name": "slack_token", "payload": payload, "mode": "test"})
    checked = configured.Check(provider_pb2.CheckRequest(urn=urn(SECRET, "s"), type=SECRET, news=news))
    assert plain(checked.inputs)["payload"] == payload
    created = configured.Create(
        provider_pb2.CreateRequest(urn=urn(SECRET, "s"), type=SECRET, properties=checked.inputs)
    )
    assert plain(created.properties)["payload"] == payload
    imported = configured.Read(
        provider_pb2.ReadRequest(id="test/account/slack_token", urn=urn(SECRET, "x"), type=SECRET)
    )
    assert imported.id == created.id and plain(imported.inputs)["payload"] == payload
    with pytest.raises(grpc.RpcError) as bad:
        configured.Read(provider_pb2.ReadRequest(id="slack_token", urn=urn(SECRET, "x"), type=SECRET))
    assert "MODE/SCOPE/NAME" in str(bad.value.details())


def test_the_console_script_prints_its_port_and_serves(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("pulumi-resource-stripe-apps")
    with subprocess.Popen([str(script)], stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            port = int(process.stdout.readline())
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                info = provider_pb2_grpc.ResourceProviderStub(channel).GetPluginInfo(empty_pb2.Empty(), timeout=10)
            assert info.version
        finally:
            process.kill()


def test_custom_timeouts_bound_the_waits_of_update_and_delete(
    configured: provider_pb2_grpc.ResourceProviderStub, surface: Surface, tmp_path: Path
) -> None:
    """The engine's `timeout` (a resource's customTimeouts) bounds each operation's wait; Stripe finishes later."""
    version = uploaded(configured, write_app(tmp_path / "billing"))
    inputs = install_inputs(configured, version["app"])
    installed = configured.Create(provider_pb2.CreateRequest(urn=urn(INSTALL, "i"), type=INSTALL, properties=inputs))
    surface.control.transitions(install="delayed", uninstall="delayed", delay_ms=60_000)

    def update(timeout: float) -> provider_pb2.UpdateResponse:
        request = provider_pb2.UpdateRequest(
            id=installed.id,
            urn=urn(INSTALL, "i"),
            type=INSTALL,
            olds=installed.properties,
            news=inputs,
            timeout=timeout,
        )
        reply: provider_pb2.UpdateResponse = configured.Update(request)
        return reply

    def delete(timeout: float) -> None:
        configured.Delete(
            provider_pb2.DeleteRequest(
                id=installed.id, urn=urn(INSTALL, "i"), type=INSTALL, properties=installed.properties, timeout=timeout
            )
        )

    with pytest.raises(grpc.RpcError) as bounded_update:
        update(0.5)
    assert "still installing after 0.5s (customTimeouts.update)" in str(bounded_update.value.details())
    surface.control.transitions(install="immediate")  # the retry's reinstall ends at once, the pending one when due
    surface.control.advance_clock(61)
    assert plain(update(0).properties)["status"] == "installed"
    configured.Configure(engine_configure(surface.config()))  # `pulumi destroy`: another operation than the create
    with pytest.raises(grpc.RpcError) as bounded_delete:
        delete(0.5)
    assert "still uninstalling after 0.5s (customTimeouts.delete)" in str(bounded_delete.value.details())
    surface.control.advance_clock(61)  # the pending uninstall ends: the retry finds the install gone
    delete(0)
    assert objects(surface.control, "install") == []


@pytest.mark.parametrize(
    "news",
    [{"appDir": UNKNOWN}, {"appDir": "/not/there/yet", "bundleDir": UNKNOWN}, {"appDir": "/x", "ignore": [UNKNOWN]}],
    ids=["appDir", "bundleDir", "an ignore pattern"],
)
def test_a_version_whose_directory_is_not_known_yet_checks_at_apply(
    configured: provider_pb2_grpc.ResourceProviderStub, news: dict[str, Any]
) -> None:
    """At preview a directory another resource makes is unknown: Check reads nothing and fails nothing, and what
    the manifest decides is unknown too (a possible replace), never a placeholder read as a path."""
    checked = configured.Check(provider_pb2.CheckRequest(urn=urn(VERSION, "v"), type=VERSION, news=struct(news)))
    assert list(checked.failures) == []
    inputs = plain(checked.inputs)
    assert {inputs[name] for name in ("appId", "version", "fingerprint")} == {UNKNOWN}


@pytest.mark.parametrize("surface", ["full"], indirect=True)
def test_import_names_no_version_for_an_install_held_back_by_new_access(
    configured: provider_pb2_grpc.ResourceProviderStub, surface: Surface, tmp_path: Path
) -> None:
    """The newest upload asks for access the install lacks, so Stripe kept the install on an older version, which
    nothing names: the import asks for `@VERSION` instead of recording the newest upload's."""

    version = uploaded(configured, write_app(tmp_path / "billing"))
    inputs = install_inputs(configured, version["app"])
    installed = configured.Create(provider_pb2.CreateRequest(urn=urn(INSTALL, "i"), type=INSTALL, properties=inputs))
    newer = write_app(tmp_path / "billing2", version="2.0.0", permissions=("customer_read", "invoice_write"))
    uploaded(configured, newer)
    with pytest.raises(grpc.RpcError) as unnamed:
        configured.Read(provider_pb2.ReadRequest(id=installed.id, urn=urn(INSTALL, "x"), type=INSTALL))
    assert "runs a version older than the newest upload (2.0.0)" in str(unnamed.value.details())
    assert f"{installed.id}@VERSION" in str(unnamed.value.details())
    imported = configured.Read(
        provider_pb2.ReadRequest(id=f"{installed.id}@1.0.0", urn=urn(INSTALL, "x"), type=INSTALL)
    )
    assert plain(imported.inputs)["version"] == "1.0.0"


def test_a_create_that_stops_waiting_reports_the_install_it_made(
    configured: provider_pb2_grpc.ResourceProviderStub, surface: Surface, tmp_path: Path
) -> None:
    """Stripe is still installing when the create's wait ends (customTimeouts here, or Ctrl-C): the install exists,
    so the error carries it (`ErrorResourceInitFailed`) and the engine records it instead of losing it."""
    version = uploaded(configured, write_app(tmp_path / "billing"))
    inputs = install_inputs(configured, version["app"])
    surface.control.transitions(install="delayed", delay_ms=60_000)
    with pytest.raises(grpc.RpcError) as stopped:
        configured.Create(
            provider_pb2.CreateRequest(urn=urn(INSTALL, "i"), type=INSTALL, properties=inputs, timeout=0.5)
        )
    assert "still installing after 0.5s (customTimeouts.create)" in str(stopped.value.details())
    details = dict(stopped.value.trailing_metadata())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    made = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(made)
    [install] = objects(surface.control, "install")
    assert made.id == f"test/{install['id']}"
    assert plain(made.properties)["status"] == "installing" and plain(made.inputs) == plain(inputs)
    assert "still installing" in made.reasons[0]
