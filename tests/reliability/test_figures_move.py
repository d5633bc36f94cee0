"""Each figure of RELIABILITY.md moves when the thing it measures goes wrong: a provider or uploader that
double-creates, a recovery that cannot converge, a host left running, an orphan, a wrong error report, a
secret in plain text, a rate-limited failure, a run that never converges, a provider that forgets on any 404.
The same code that makes the figures measures each broken case here, and the report script renders failed rows
as failures."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_stripe_apps import AppVersion
from pulumi_stripe_apps.resources import app_installation
from pulumi_stripe_apps.resources.app_installation import AppInstallationProvider
from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.reliability import kill_tours
from tests.reliability.ambiguous import Scenario, injected, injection
from tests.reliability.fault_runs import Run, run_seed
from tests.reliability.kill_tours import Reference, TourProject, kill_after
from tests.reliability.support import (
    Names,
    audit,
    create_attempts,
    excess_creates,
    write_apps,
)
from tests.reliability.test_bad_input import problems
from tests.reliability.test_limits import storm
from tests.reliability.test_secrets import scan
from tests.support.apps import write_app
from tests.support.engine import EngineSandbox
from tests.support.stripe_cli import set_cli_faults
from tests.support.surfaces import Surface

ROOT = Path(__file__).resolve().parents[2]


def _report_module() -> Any:
    spec = importlib.util.spec_from_file_location("reliability_report", ROOT / "scripts" / "reliability.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- duplicate creates -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("surface", ["stripe"], indirect=True)  # the Stripe CLI stand-in is the uploader here
def test_an_uploader_that_double_creates_counts_one_duplicate_create(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    assert surface.stripe_cli is not None
    (app_dir,) = write_apps(tmp_path / "apps", 1)

    def upload_only() -> None:
        AppVersion("r0", app_dir=str(app_dir))

    run = Run(surface, engine.inline_stack(upload_only, config=surface.config(app_ids=["com.example.reliability0"])))
    set_cli_faults(surface.stripe_cli, 1, [{"kind": "double", "probability": 1}])
    assert run.operation("up")
    assert run.excess == {"up: upload:com.example.reliability0@1.0.0 (default, test)": 1}
    # The API kept one version: counting objects alone would have shown nothing.
    assert audit(surface.control, run.stack.export_stack().deployment).duplicate_objects == 0


def test_a_provider_patched_to_double_create_counts_one_duplicate_create(
    emulator: RunningEmulator, control: ControlClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with httpx.Client(base_url=emulator.url, auth=(emulator.keys["default"]["test"], "")) as http:
        manifest = {
            "id": "com.example.twice",
            "version": "1.0.0",
            "name": "Twice",
            "icon": "./icon.png",
            "permissions": [],
            "ui_extension": {"views": []},
        }
        uploaded = http.post(
            "/v1/apps/uploads",
            files={"manifest": (None, json.dumps(manifest)), "bundle": ("b.tar.gz", b"\x1f\x8b", "application/gzip")},
        )
        assert uploaded.status_code == 200, uploaded.text
    app = uploaded.json()["app"]
    monkeypatch.setenv("STRIPE_APPS_API_BASE", emulator.url)
    monkeypatch.setenv("STRIPE_APPS_TEST_API_KEY", emulator.keys["default"]["test"])
    planned = Counter({("install:com.example.twice", "default", "test"): 1})
    props = {"app": app, "version": "1.0.0", "mode": "test", "distribution": "private", "account": None}

    def excess_of_one_create() -> dict[str, int]:
        start = len(emulator.backend.request_log)
        AppInstallationProvider().create(dict(props))
        return excess_creates(create_attempts(emulator.backend.request_log[start:], Names.of(control)), planned)

    assert excess_of_one_create() == {}  # the provider as it is: one create (answered with the existing install)
    original = app_installation.InstallApi.create

    def twice(self: Any, subject: str, params: Any) -> Any:
        original(self, subject, params)
        return original(self, subject, params)

    monkeypatch.setattr(app_installation.InstallApi, "create", twice)
    assert excess_of_one_create() == {"install:com.example.twice (default, test)": 1}


# -- recovery and leaked hosts -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("surface", ["full"], indirect=True)  # the recovery path is the same on both surfaces
def test_a_recovery_that_cannot_converge_is_not_recovered(
    engine: EngineSandbox, surface: Surface, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = TourProject(tmp_path / "project", engine, surface)
    project.ok("stack", "select", "--create", "dev")

    def kill_then_revoke(*args: Any, **kwargs: Any) -> Any:
        found = kill_after(*args, **kwargs)
        # The test key is revoked right after the kill: refresh and up cannot succeed.
        surface.control.revoke_key(surface.keys["default"]["test"])
        return found

    monkeypatch.setattr(kill_tours, "kill_after", kill_then_revoke)
    row: dict[str, Any] = {}
    kill_tours._kill_and_recover(project, "create", Reference(4, Counter()), 3, clear_pending=True, row=row)
    assert row["killed"] and row["recovered"] is False and row["outcome"] == "failed"
    report = _report_module()
    figures = report.figures([{"kind": "crash", **row}, {"kind": "crash", **row, "recovered": True}])
    assert figures["recovered"] == "1/2"


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("surface", ["full"], indirect=True)  # the hosts are the same on both surfaces
def test_hosts_left_running_after_the_engine_died_are_counted(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    project = TourProject(tmp_path / "project", engine, surface)
    project.ok("stack", "select", "--create", "dev")
    project.env = {**project.env, "STRIPE_APPS_ENGINE_WATCH": "off"}  # Pulumi's stock hosts, unwatched
    killed, hosts, leaked, _ = kill_after(project, project.prepare("create"), 2, exit_deadline=3.0)
    assert killed and hosts >= 3
    # The language host, the program it runs and the dynamic-provider host (and its shell) were left running.
    assert len(leaked) >= 3, leaked
    assert any("pulumi.dynamic" in process.command for process in leaked)


# -- state kept on ambiguous answers -------------------------------------------------------------------------

# Loaded first by every Python process the engine starts (the dynamic-provider host here): the provider takes any
# 404 for gone, as it did before gone.py. Swapping the function's code reaches every module that imported it.
FORGETFUL = """
from pulumi_stripe_apps import gone


def forgetful(error, client, *, recorded_account, on_behalf=None):
    if error.http_status != 404:
        raise error


gone.confirm_gone.__code__ = forgetful.__code__
"""


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("surface", ["full"], indirect=True)  # the measurement is the same on both surfaces
def test_a_provider_that_forgets_on_any_404_does_not_keep_the_state(
    engine: EngineSandbox, surface: Surface, tmp_path: Path
) -> None:
    (tmp_path / "forgetful").mkdir()
    (tmp_path / "forgetful" / "sitecustomize.py").write_text(FORGETFUL)
    env = {"PYTHONPATH": str(tmp_path / "forgetful")}
    scenario = Scenario("dynamic", surface, engine, write_app(tmp_path / "billing"), env=env)
    scenario.up()
    found = injection("unrouted", surface, scenario.good)
    with injected(scenario.stack, surface, found, scenario.good):
        rows = [{"kind": "ambiguous", **scenario.measure(found, operation)} for operation in ("update", "refresh")]
    # The update's `set` fails all the same; the refresh takes Stripe's `Unrecognized request URL` for gone (the
    # secret is kept: before reading a secret found by name the provider asks for the key's account, which fails).
    assert [row["state_kept"] for row in rows] == [True, False], rows
    forgotten = ("billing", "billing-live", "billing-test")
    assert sorted(rows[1]["changed"]) == sorted(f"{name}: removed" for name in forgotten), rows[1]
    assert rows[1]["outcome"] == "failed"
    report = _report_module()
    figures = report.figures(rows)
    assert figures["ambiguous_kept"] == "1/2; **not kept: unrouted refresh (dynamic/full)**"
    assert figures["ambiguous_reported"] == "1/2; **not reported so: unrouted refresh (dynamic/full)**"
    text = report.render(rows, exit_code=1, seconds=60.0, size="ci", commit="abc1234 (clean)")
    assert "| 1/2; **not kept: unrouted refresh (dynamic/full)** |" in text
    assert "| rows whose test failed | 1 |" in text


# -- orphans, fuzz reports, secrets, rate limits, convergence -----------------------------------------------


def test_objects_the_stack_does_not_know_are_orphans_and_second_copies_duplicates(
    emulator: RunningEmulator, control: ControlClient
) -> None:
    key = emulator.keys["default"]["test"]
    with httpx.Client(base_url=emulator.url, auth=(key, "")) as http:
        http.post("/v1/apps/secrets", data={"name": "t", "payload": "p", "scope[type]": "account"}).raise_for_status()
    found = audit(control, {"resources": []})
    assert (found.orphans, found.duplicate_objects) == (1, 0), found
    emulator.backend.store.put("secret", "appsecret_copy", {**control.state()["objects"]["secret"][0], "id": "x"})
    assert audit(control, {"resources": []}).duplicate_objects == 1


def test_engine_reports_are_read_whole_and_wrong_ones_counted() -> None:
    value_across_lines = (
        "Diagnostics:\n  pulumi-python:dynamic/stripeapps:AppInstallation (fuzz-install):\n"
        "    error: pulumi-python:dynamic/stripeapps:AppInstallation resource 'fuzz-install': property mode value {\n"
        "    } has a problem: mode is '\\n'; allowed values: test, sandbox, live\n\nResources:\n"
    )
    assert problems(value_across_lines) == ([("mode", "mode is '\\n'; allowed values: test, sandbox, live")], [])
    crash = "Diagnostics:\n  x:\n    error: Exception: boom\n    Traceback (most recent call last):\n"
    assert problems(crash) == ([], ["Exception: boom"])


def test_a_secret_in_plain_text_is_found() -> None:
    secrets = {"test key": "sk_test_" + "a" * 24, "payload": "payload-r0-test-9f2c4e7a1b"}
    found = scan(secrets, {"engine logs -v=9": "... Bearer aaaaaaaaaaaaaaaaaaaaaaaa ...", "state": "{}"})
    assert found == {"engine logs -v=9": ["test key"], "state": []}


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("surface", ["full"], indirect=True)  # counting is the same on both surfaces
def test_resources_a_storm_could_not_make_are_failures(engine: EngineSandbox, surface: Surface, tmp_path: Path) -> None:
    row = storm(engine, surface, tmp_path, 2, revoke_sandbox=True)
    # At least each app's sandbox install and sandbox secret; the engine may stop others once they fail.
    assert row["failures"] >= 4 and row["error"], row


@pytest.mark.slow
@pytest.mark.e2e
def test_a_run_that_never_converges_keeps_its_row(tmp_path: Path) -> None:
    row = run_seed(
        "full",
        1,
        tmp_path,
        attempts=1,
        sabotage=lambda surface: surface.control.revoke_key(surface.keys["default"]["test"]),
    )
    assert row["outcome"] == "failed" and row["converged"] is False and row["up_attempts"] == 0, row
    assert row["requests"] > 0 and "error_faults" in row
    report = _report_module()
    figures = report.figures([{"kind": "faults", **row}])
    assert figures["converged"] == "0/1"


def test_the_report_counts_failed_and_unmeasured_rows() -> None:
    report = _report_module()
    rows = [
        {
            "kind": "faults",
            "surface": "full",
            "outcome": "passed",
            "converged": True,
            "destroyed": True,
            "requests": 10,
            "error_faults": 3,
            "latency_faults": 1,
            "excess_creates": 0,
            "duplicate_objects": 0,
            "orphans": 0,
            "missing": 0,
            "up_attempts": 1,
        },
        {"kind": "faults", "surface": "stripe", "outcome": "error", "converged": False, "destroyed": False},
        {
            "kind": "crash",
            "surface": "full",
            "operation": "create",
            "outcome": "failed",
            "killed": True,
            "recovered": True,
            "leaked": 2,
            "excess_creates": 1,
            "duplicate_objects": 0,
            "orphans": 0,
            "missing": 0,
        },
    ]
    figures = report.figures(rows)
    assert figures["converged"] == "1/2"
    assert figures["ambiguous_kept"] == "not run"  # no rows of that kind: never shown as kept
    assert figures["excess_creates"].startswith("1 ") and "1 run not measured" in figures["excess_creates"]
    assert figures["leaked"].startswith("2")
    text = report.render(rows, exit_code=1, seconds=60.0, size="ci", commit="abc1234 (clean)")
    assert "abc1234" in text and "suite exit code 1" in text


def test_sizes_meet_the_goal() -> None:
    from tests.reliability.support import SIZES, STRIPE_KINDS  # noqa: PLC0415

    full = SIZES["full"]
    assert 2 * full.fault_seeds >= 100 and full.error_rate >= 0.2
    kill_points = full.kill_tours * sum(len(kinds) for kinds in full.kill_kinds.values())
    assert kill_points >= 20 and set(full.kill_kinds["stripe"]) == set(STRIPE_KINDS)
