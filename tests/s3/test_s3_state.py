"""Team state on S3: the whole lifecycle, concurrent stacks and the stack lock, with moto's real server.

Every run goes through the `pulumi` CLI in a project directory, as a team member would, logged in to
`s3://...` (tests/support/s3.py holds the settings); the emulator serves the Stripe side over a socket.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_stripe_apps.poll import wait_until
from pulumi_stripe_apps.resources.app_installation import stripe_install_id
from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.support.apps import write_app
from tests.support.emulator import objects
from tests.support.s3 import S3EngineSandbox, S3State, moto_s3

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROJECT = "team-billing"
PROGRAM = '''"""One app version and one install, both named by stack config."""

import pulumi

import pulumi_stripe_apps as stripe_apps

config = pulumi.Config()
version = stripe_apps.AppVersion("billing", app_dir=config.require("appDir"))
install = stripe_apps.AppInstallation(
    "billing-install", app=version.app, version=version.version, mode=config.get("mode") or "test"
)
pulumi.export("install", install.id)
pulumi.export("status", install.status)
'''
WAIT = 60.0


@pytest.fixture
def s3() -> Iterator[S3State]:
    with moto_s3() as state:
        yield state


class TeamProject:
    """A project directory whose stacks live in the S3 bucket; `pulumi` runs as a user would run it."""

    def __init__(self, tmp_path: Path, s3: S3State, emulator: RunningEmulator) -> None:
        self.dir = tmp_path / PROJECT
        self.dir.mkdir()
        (self.dir / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime:\n  name: python\n")
        (self.dir / "__main__.py").write_text(PROGRAM)
        self.tmp = tmp_path
        self.s3 = s3
        self.engine = S3EngineSandbox(tmp_path / "engine", s3=s3)
        self.env = {
            "STRIPE_APPS_API_BASE": emulator.url,
            "STRIPE_APPS_TEST_API_KEY": emulator.keys["default"]["test"],
            "STRIPE_APPS_LIVE_API_KEY": emulator.keys["default"]["live"],
        }

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = self.engine.cli(list(args), cwd=self.dir, env=self.env)
        if ok:
            assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        # The settings in tests/support/s3.py make the CLI's AWS SDK and moto agree: nothing to warn about.
        assert "WARN" not in done.stderr, done.stderr
        return done

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.dir,
            env=self.engine.env(self.env),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def init(self, stack: str, app_id: str, mode: str = "test") -> None:
        app_dir = write_app(self.tmp / "apps" / stack, app_id=app_id)
        self.run("stack", "init", stack)
        self.run("config", "set", "--stack", stack, "appDir", str(app_dir))
        self.run("config", "set", "--stack", stack, "mode", mode)

    def outputs(self, stack: str) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.run("stack", "output", "--stack", stack, "--json").stdout)
        return found

    def preview_changes(self, stack: str, *extra: str) -> dict[str, int]:
        done = self.run("preview", "--stack", stack, "--json", *extra)
        summary: dict[str, int] = json.loads(done.stdout)["changeSummary"]
        return summary

    def locks(self, stack: str) -> list[str]:
        return self.s3.keys(f".pulumi/locks/organization/{PROJECT}/{stack}/")


@pytest.fixture
def team(tmp_path: Path, s3: S3State, emulator: RunningEmulator) -> TeamProject:
    return TeamProject(tmp_path, s3, emulator)


def until(check: Any, what: str, processes: list[subprocess.Popen[str]]) -> None:
    """Polls `check` with a deadline; fails at once, with its output, if a watched process ends early."""

    def fetch() -> bool:
        for process in processes:
            if process.poll() is not None:
                out, err = process.communicate()
                pytest.fail(f"{process.args!r} ended early ({process.returncode}) before {what}:\n{out}\n{err}")
        return bool(check())

    wait_until(fetch, bool, timeout=WAIT, action="wait", subject=what)


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=WAIT * 3)
    assert process.returncode == 0, f"{process.args!r} failed:\n{out}\n{err}"
    assert "WARN" not in err, err
    return out


def test_lifecycle_with_state_in_s3(team: TeamProject, s3: S3State, control: ControlClient) -> None:
    team.init("dev", "com.example.team", mode="live")
    up = team.run("up", "--yes", "--stack", "dev")
    assert "3 created" in up.stdout
    install_id = stripe_install_id(team.outputs("dev")["install"])
    assert team.outputs("dev")["status"] == "installed"
    stack_file = f".pulumi/stacks/{PROJECT}/dev.json"
    assert stack_file in s3.keys(".pulumi/stacks/")
    # Plain JSON in the bucket (the SDK's checksummed uploads arrive intact), holding both resources.
    text = s3.read(stack_file).decode()
    types = {res["type"] for res in json.loads(text)["checkpoint"]["latest"]["resources"]}
    assert {"pulumi-python:dynamic/stripeapps:AppVersion", "pulumi-python:dynamic/stripeapps:AppInstallation"} <= types
    assert team.env["STRIPE_APPS_LIVE_API_KEY"] not in text
    assert team.locks("dev") == []

    team.run("preview", "--stack", "dev", "--expect-no-changes")
    team.run("refresh", "--yes", "--stack", "dev", "--expect-no-changes")

    # Drift: a user uninstalls the app in the Dashboard; a refreshing preview plans the install again.
    control.dashboard_uninstall(install_id)
    assert team.preview_changes("dev", "--refresh").get("create") == 1
    restored = team.run("up", "--yes", "--refresh", "--stack", "dev")
    assert "1 created" in restored.stdout
    team.run("preview", "--stack", "dev", "--expect-no-changes")
    assert [install["livemode"] for install in objects(control, "install")] == [True]

    team.run("destroy", "--yes", "--stack", "dev")
    assert objects(control, "install") == []
    team.run("stack", "rm", "dev", "--yes")
    assert stack_file not in s3.keys(".pulumi/stacks/")  # the DIY backend keeps only its dev.json.bak
    assert team.locks("dev") == []


def test_two_stacks_update_concurrently(team: TeamProject, control: ControlClient) -> None:
    team.init("alpha", "com.example.alpha")
    team.init("beta", "com.example.beta")
    # Hold installs so both updates are provably in flight at the same time, each holding its own lock.
    control.transitions(install="held")
    ups = [team.start("up", "--yes", "--stack", stack) for stack in ("alpha", "beta")]
    try:
        until(
            lambda: len(objects(control, "install")) == 2 and team.locks("alpha") and team.locks("beta"),
            "both stacks are mid-update",
            ups,
        )
        assert {install["status"] for install in objects(control, "install")} == {"installing"}
        control.transitions(install="immediate")
        assert control.release() == 2
        for process in ups:
            assert "3 created" in finish(process)
    finally:
        for process in ups:
            if process.poll() is None:
                process.kill()
                process.communicate()
    for stack in ("alpha", "beta"):
        assert team.outputs(stack)["status"] == "installed"
        assert team.locks(stack) == []
        team.run("preview", "--stack", stack, "--expect-no-changes")
        team.run("destroy", "--yes", "--stack", stack)
    assert objects(control, "install") == []


def test_second_up_on_a_locked_stack_fails_naming_the_lock(team: TeamProject, control: ControlClient) -> None:
    team.init("dev", "com.example.locked")
    control.transitions(install="held")
    first = team.start("up", "--yes", "--stack", "dev")
    try:
        until(lambda: objects(control, "install") and team.locks("dev"), "the first update holds the lock", [first])
        [lock] = team.locks("dev")
        second = team.run("up", "--yes", "--stack", "dev", ok=False)
        message = second.stdout + second.stderr
        assert second.returncode != 0
        assert "the stack is currently locked by 1 lock(s)" in message, message
        assert lock in message and "pulumi cancel" in message, message
        assert team.locks("dev") == [lock]  # the refused update took no lock and removed none
        control.transitions(install="immediate")
        assert control.release() == 1
        assert "3 created" in finish(first)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert team.locks("dev") == []
    team.run("preview", "--stack", "dev", "--expect-no-changes")
    team.run("destroy", "--yes", "--stack", "dev")
    assert objects(control, "install") == []
