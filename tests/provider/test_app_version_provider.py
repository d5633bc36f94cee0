"""AppVersion's provider methods against a running emulator over a real socket (no engine)."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from pulumi_stripe_apps.errors import StripeAppsError
from pulumi_stripe_apps.fingerprint import iter_bundle_files, write_bundle_tar
from pulumi_stripe_apps.resources.app_version import AppVersionProvider
from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.support.apps import set_manifest, write_app
from tests.support.emulator import objects


def provider_for(emulator: RunningEmulator, **extra: str) -> AppVersionProvider:
    provider = AppVersionProvider()
    config = {
        "stripe-apps:apiBase": emulator.url,
        "stripe-apps:testApiKey": emulator.keys["default"]["test"],
        **extra,
    }
    provider.configure(ConfigureRequest(Config(config, "test")))
    return provider


def checked(provider: AppVersionProvider, app_dir: Path, olds: dict[str, Any] | None = None) -> dict[str, Any]:
    result = provider.check(olds or {}, {"app_dir": str(app_dir), "bundle_dir": None, "ignore": []})
    assert result.failures == []
    return dict(result.inputs)


def test_create_uploads_once_and_waits_for_processing(
    emulator: RunningEmulator, control: ControlClient, tmp_path: Path
) -> None:
    provider = provider_for(emulator)
    props = checked(provider, write_app(tmp_path / "app"))
    created = provider.create(props)
    assert created.outs["status"] == "completed"
    assert created.outs["app"].startswith("app_")
    assert created.outs["signing_secret"].startswith("absec_")
    uploads = objects(control, "upload")
    assert [upload["id"] for upload in uploads] == [created.id]
    assert uploads[0]["fingerprint"] == props["fingerprint"]


def test_create_adopts_the_same_version_and_content(
    emulator: RunningEmulator, control: ControlClient, tmp_path: Path
) -> None:
    provider = provider_for(emulator)
    props = checked(provider, write_app(tmp_path / "app"))
    first = provider.create(props)
    # Another stack (or a retried create after a lost response) asks for the same upload.
    second = provider_for(emulator).create(props)
    assert second.id == first.id
    assert len(objects(control, "upload")) == 1


def test_create_refuses_the_same_version_with_other_content(emulator: RunningEmulator, tmp_path: Path) -> None:
    provider = provider_for(emulator)
    app_dir = write_app(tmp_path / "app")
    provider.create(checked(provider, app_dir))
    (app_dir / "src" / "View.tsx").write_text("export const View = () => 'other';\n")
    with pytest.raises(StripeAppsError) as refused:
        provider.create(checked(provider, app_dir))
    assert refused.value.code == "resource_already_exists"
    assert "bump `version`" in str(refused.value)


def test_check_refuses_changed_content_under_the_same_version(emulator: RunningEmulator, tmp_path: Path) -> None:
    provider = provider_for(emulator)
    app_dir = write_app(tmp_path / "app")
    olds = checked(provider, app_dir)
    (app_dir / "icon.png").write_bytes(b"another icon")
    result = provider.check(olds, {"app_dir": str(app_dir), "bundle_dir": None, "ignore": []})
    assert [failure.property for failure in result.failures] == ["version"]
    assert "Versions are immutable on Stripe" in result.failures[0].reason


def test_check_names_the_manifest_property_path(emulator: RunningEmulator, tmp_path: Path) -> None:
    provider = provider_for(emulator)
    app_dir = write_app(tmp_path / "app")
    set_manifest(app_dir, permissions=[{"permission": "customer_read"}, {"purpose": "no name"}])
    result = provider.check({}, {"app_dir": str(app_dir), "bundle_dir": None, "ignore": []})
    paths = {failure.property for failure in result.failures}
    assert "permissions[1].permission" in paths
    assert all("Fix:" in failure.reason for failure in result.failures)


def test_failed_processing_is_an_error_with_stripes_messages(
    emulator: RunningEmulator, control: ControlClient, tmp_path: Path
) -> None:
    provider = provider_for(emulator)
    control.transitions(upload="fail")
    with pytest.raises(StripeAppsError) as failed:
        provider.create(checked(provider, write_app(tmp_path / "app")))
    assert "Stripe rejected the upload" in str(failed.value)
    assert [upload["status"] for upload in objects(control, "upload")] == ["failed"]


def test_read_reports_status_and_returns_inputs(
    emulator: RunningEmulator, control: ControlClient, tmp_path: Path
) -> None:
    provider = provider_for(emulator)
    props = checked(provider, write_app(tmp_path / "app"))
    created = provider.create(props)
    state = {**props, **created.outs}
    read = provider.read(created.id, state)
    assert read.id == created.id
    assert read.outs is not None and read.outs["status"] == "completed"
    assert read.inputs is not None and read.inputs["fingerprint"] == props["fingerprint"]
    assert "signing_secret" not in read.inputs

    control.reset()  # the backend lost everything: the version must be uploaded again
    gone = provider.read(created.id, state)
    assert gone.id == ""


def test_delete_calls_nothing_and_says_why(
    emulator: RunningEmulator, control: ControlClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = provider_for(emulator)
    props = checked(provider, write_app(tmp_path / "app"))
    created = provider.create(props)
    control.clear_requests()
    provider.delete(created.id, {**props, **created.outs})
    assert [entry["path"] for entry in control.requests() if entry["path"].startswith("/v1/")] == []
    assert "Stripe cannot delete app versions" in capsys.readouterr().err
    assert len(objects(control, "upload")) == 1


def test_upload_sends_a_deterministic_bundle(emulator: RunningEmulator, tmp_path: Path) -> None:
    provider = provider_for(emulator)
    app_dir = write_app(tmp_path / "app")
    (app_dir / "node_modules").mkdir()
    (app_dir / "node_modules" / "big.js").write_text("ignored")
    created = provider.create(checked(provider, app_dir))
    upload = httpx.get(
        f"{emulator.url}/v1/apps/uploads/{created.id}",
        auth=(emulator.keys["default"]["test"], ""),
    ).json()
    assert upload["bundle_size"] > 0
    assert upload["version"] == "1.0.0"


STAND_IN = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    answer = sys.stdin.readline()
    with open(os.environ["STAND_IN_RECORD"], "w") as record:
        json.dump({{"argv": sys.argv[1:], "cwd": os.getcwd(), "answer": answer, "env_has_key": any(
            "sk_test_" in value for value in os.environ.values())}}, record)
    if os.environ.get("STAND_IN_FAIL"):
        print("Error: upload failed for key " + sys.argv[sys.argv.index("--api-key") + 1], file=sys.stderr)
        sys.exit(3)
    if os.environ.get("STAND_IN_SILENT"):
        sys.exit(0)
    # Another CLI version's success line, one that names the app object.
    print("App uploaded successfully: com.example.billing v1.0.0 to acct_1 (app_StandIn123)")
    """
)


def test_cli_uploader_runs_stripe_apps_upload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in = tmp_path / "stripe"
    stand_in.write_text(STAND_IN.format(python=sys.executable))
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    record = tmp_path / "record.json"
    monkeypatch.setenv("STAND_IN_RECORD", str(record))
    key = "sk_test_standin0123456789"
    provider = AppVersionProvider()
    provider.configure(
        ConfigureRequest(
            Config(
                {
                    "stripe-apps:uploader": "cli",
                    "stripe-apps:stripeCli": str(stand_in),
                    "stripe-apps:testApiKey": key,
                    "stripe-apps:appIds": '{"com.example.billing": "app_FromConfig"}',
                },
                "test",
            )
        )
    )
    app_dir = write_app(tmp_path / "app")
    created = provider.create(checked(provider, app_dir))
    seen = json.loads(record.read_text())
    assert seen["argv"] == ["apps", "upload", "--api-key", key]
    assert seen["cwd"] == str(app_dir)
    assert seen["answer"] == "y\n"  # the confirmation prompt is answered
    assert seen["env_has_key"] is False  # only on the command line, never in the environment
    assert created.outs["app"] == "app_FromConfig"  # an id in a sentence is no statement of the CLI; appIds decides
    assert created.id == "cli:com.example.billing@1.0.0"

    monkeypatch.setenv("STAND_IN_SILENT", "1")
    set_manifest(app_dir, version="1.0.1")
    with pytest.raises(StripeAppsError) as silent:
        provider.create(checked(provider, app_dir))
    assert "did not report an upload" in str(silent.value)
    monkeypatch.delenv("STAND_IN_SILENT")

    monkeypatch.setenv("STAND_IN_FAIL", "1")
    with pytest.raises(StripeAppsError) as failed:
        provider.create(checked(provider, app_dir))
    assert "exited with 3" in str(failed.value)
    assert key not in str(failed.value)
    assert "sk_test_***" in str(failed.value)


def test_bundle_tar_is_streamed_from_the_file_list(tmp_path: Path) -> None:
    app_dir = write_app(tmp_path / "app")
    os.chmod(app_dir / "src" / "View.tsx", 0o755)
    buffer = io.BytesIO()
    write_bundle_tar(list(iter_bundle_files(app_dir)), app_dir, buffer)
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue()), mode="r:gz") as tar:
        members = {member.name: member.mode for member in tar.getmembers()}
    assert members == {"icon.png": 0o644, "src/View.tsx": 0o755}
