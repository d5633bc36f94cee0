"""SIGKILL `pulumi up` at seeded points (after the N-th API request), recover as a user would, and audit."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.reliability.conftest import Record
from tests.reliability.support import SIZE, api_requests, audit, live_installs, write_apps
from tests.support.engine import EngineSandbox
from tests.support.errors import stray_tracebacks

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

CRASH_APPS = 2
KILL_DEADLINE = 180.0
PROGRAM = '''"""Crash-test stack: each app under ./apps uploaded once and installed in test mode, a sandbox and live."""

from pathlib import Path

import pulumi

import pulumi_stripe_apps as stripe_apps

for app_dir in sorted(Path("apps").iterdir()):
    name = app_dir.name.rsplit(".", 1)[-1]
    version = stripe_apps.AppVersion(name, app_dir=str(app_dir))
    for mode in ("test", "sandbox", "live"):
        install = stripe_apps.AppInstallation(
            f"{name}-{mode}",
            app=version.app,
            version=version.version,
            mode=mode,
            sandbox_install_compatible=version.sandbox_install_compatible,
        )
        pulumi.export(f"{name}-{mode}", install.status)
'''


def crash_points(count: int) -> list[int]:
    """Seeded request counts after which the CLI dies; a clean `up` of this stack makes 25 to 30 API requests."""
    rng = random.Random(7)
    return [rng.randint(1, 24) for _ in range(count)]


class Project:
    def __init__(self, root: Path, engine: EngineSandbox, emulator: RunningEmulator) -> None:
        self.dir = root
        self.engine = engine
        root.mkdir(parents=True)
        (root / "Pulumi.yaml").write_text(
            "name: reliability-crash\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
        )
        (root / "__main__.py").write_text(PROGRAM)
        write_apps(root / "apps", CRASH_APPS)
        self.env = {
            "STRIPE_APPS_TEST_API_KEY": emulator.keys["default"]["test"],
            "STRIPE_APPS_LIVE_API_KEY": emulator.keys["default"]["live"],
            "STRIPE_APPS_SANDBOX_API_KEY": emulator.keys["sandbox"]["test"],
        }
        self.log: list[str] = []

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.engine.cli(list(args), cwd=self.dir, env=self.env)
        self.log.append(f"$ pulumi {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run(*args)
        assert done.returncode == 0, "\n".join(self.log)
        return done

    def killed_up(self, control: ControlClient, after: int) -> bool:
        """Starts `pulumi up` and SIGKILLs it once the emulator has logged `after` API requests.

        True when it was killed mid-run, False when it finished first. The CLI dies first; then the
        plugins it started (language host, provider) are killed too, as a CI runner tearing down the job does.
        """
        with (self.dir / "up.out").open("w") as out:
            process = subprocess.Popen(
                ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive"],
                cwd=self.dir,
                env=self.engine.env(self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            killed = False
            try:
                killed = self._kill_after(process, control, after)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait(timeout=30)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        return killed

    @staticmethod
    def _kill_after(process: subprocess.Popen[bytes], control: ControlClient, after: int) -> bool:
        import time  # noqa: PLC0415 - only the deadline clock; waiting happens on the process itself

        deadline = time.monotonic() + KILL_DEADLINE
        while time.monotonic() < deadline:
            if len(api_requests(control)) >= after:
                process.send_signal(signal.SIGKILL)
                return True
            try:
                process.wait(timeout=0.02)
            except subprocess.TimeoutExpired:
                continue
            return False
        raise AssertionError(f"pulumi up neither finished nor made {after} requests in {KILL_DEADLINE:.0f}s")

    def export(self) -> dict[str, Any]:
        deployment: dict[str, Any] = json.loads(self.ok("stack", "export").stdout)["deployment"]
        return deployment


@pytest.mark.parametrize("point", range(SIZE.crash_points))
def test_killed_up_recovers_without_duplicates_or_orphans(
    point: int,
    *,
    engine: EngineSandbox,
    emulator: RunningEmulator,
    control: ControlClient,
    tmp_path: Path,
    record: Record,
) -> None:
    after = crash_points(SIZE.crash_points)[point]
    project = Project(tmp_path / "project", engine, emulator)
    project.ok("stack", "select", "--create", "dev")
    project.ok("config", "set", "stripe-apps:apiBase", emulator.url)
    control.clear_requests()

    killed = project.killed_up(control, after)
    requests_at_kill = len(api_requests(control))

    # What a user does (README, "Recovering from an interrupted `pulumi up`").
    cancel = project.run("cancel", "--yes")  # the file backend keeps a lock file the killed CLI never removed
    restored = "failed to load checkpoint" in cancel.stderr + cancel.stdout
    if restored:  # the kill cut the checkpoint write: the backend's previous checkpoint is beside it
        checkpoint = engine.root / "backend" / ".pulumi" / "stacks" / "reliability-crash" / "dev.json"
        checkpoint.write_bytes(checkpoint.with_name("dev.json.bak").read_bytes())
        project.ok("cancel", "--yes")
    pending = [op["type"] for op in project.export().get("pending_operations") or []]
    # Both ways out of pending creates: clear them (even points), or leave them to `up` (odd points); the
    # provider's creates adopt what Stripe already has, so neither duplicates.
    clear = ("--clear-pending-creates",) if point % 2 == 0 else ()
    refresh = project.run("refresh", "--yes", *clear)
    up = project.run("up", "--yes")
    recovered = refresh.returncode == 0 and up.returncode == 0
    project.ok("preview", "--expect-no-changes")
    deployment = project.export()
    found = audit(control, deployment)

    project.ok("destroy", "--yes")
    left = live_installs(control)
    record(
        "crash",
        point=point,
        after_requests=after,
        killed=killed,
        requests_at_kill=requests_at_kill,
        pending_operations=pending,
        checkpoint_restored=restored,
        cleared_pending=bool(clear),
        recovered=recovered,
        duplicates=found.duplicates,
        orphans=found.orphans,
        missing=found.missing,
        installs_left=len(left),
    )

    assert killed, f"up finished before {after} requests: pick an earlier crash point"
    assert recovered, "\n".join(project.log)
    assert found.duplicates == 0 and found.orphans == 0 and found.missing == 0, found
    assert len([res for res in deployment["resources"] if res["type"].startswith("pulumi-python:dynamic")]) == 8
    assert left == []
    assert stray_tracebacks("\n".join(project.log)) == []
