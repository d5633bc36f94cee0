"""Tours of a CLI project through every kind of operation, killing `pulumi` with SIGKILL mid-operation.

A tour runs the kinds in order on one stack: create, upgrade (a new version), mode replace (a connected
account's install moves from test to live mode), secret rotation, public switch (the emulator's surface
only), destroy. A reference tour runs them without kills on an emulator of its own and gives, per kind,
the request sequence (kill points are drawn from it) and the plan (the steps that may send a create).
At a kill point the CLI is killed once the emulator has logged that many API requests; then the hosts the
engine started must all exit on their own, and a user's recovery (`cancel`, `refresh`, `up` or `destroy`)
must reach `preview --expect-no-changes` with no create beyond the plans, no duplicate and no orphan.
"""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability import native
from tests.reliability.support import (
    STRIPE_KINDS,
    Front,
    Names,
    Target,
    api_requests,
    audit,
    create_attempts,
    excess_creates,
    is_stock_host,
    kill_all,
    live_installs,
    objects,
    planned_creates,
    session_processes,
    short,
    steps_of_event_log,
    wait_for_exit,
    write_apps,
)
from tests.support.apps import set_manifest
from tests.support.engine import EngineSandbox
from tests.support.errors import stray_tracebacks
from tests.support.surfaces import Surface, SurfaceName

MANIFEST = "com.example.reliability0"
KILL_DEADLINE = 180.0
# How long the hosts get to notice the engine is gone (Pulumi's Go hosts check about once a second).
EXIT_DEADLINE = 10.0
PROGRAM = '''"""Kill-tour stack: one app, installs in each mode and on a connected account, two secrets (tour.json)."""

import json
from pathlib import Path

import pulumi

import pulumi_stripe_apps as stripe_apps

tour = json.loads(Path("tour.json").read_text())
version = stripe_apps.AppVersion("r0", app_dir="apps/com.example.reliability0")
for mode in ("test", "sandbox", "live"):
    install = stripe_apps.AppInstallation(
        f"r0-{mode}",
        app=version.app,
        version=version.version,
        mode=mode,
        distribution=tour["live_distribution"] if mode == "live" else "private",
        sandbox_install_compatible=version.sandbox_install_compatible,
        requested_access=version.requested_access,
    )
    pulumi.export(f"r0-{mode}", install.status)
stripe_apps.AppInstallation(
    "r0-connected",
    app=version.app,
    version=version.version,
    mode=tour["connected_mode"],
    account=tour["connected_account"],
    requested_access=version.requested_access,
)
for mode in ("test", "live"):
    stripe_apps.AppSecret(f"s-{mode}", name="api_token", payload=tour["secret_payload"], mode=mode)
'''


@dataclass
class Reference:
    """What a kind of operation does when nothing interrupts it."""

    requests: int
    planned: Counter[Target]


@dataclass
class TourProject:
    """The tour's stack as a CLI project: a Python program (dynamic front) or a YAML one (native front)."""

    root: Path
    engine: EngineSandbox
    surface: Surface
    front: Front = "dynamic"
    log: list[str] = field(default_factory=list)
    commands: int = 0

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True)
        if self.front == "dynamic":
            (self.root / "Pulumi.yaml").write_text(
                "name: reliability-tour\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
            )
            (self.root / "__main__.py").write_text(PROGRAM)
        (self.app_dir,) = write_apps(self.root / "apps", 1)
        keys = self.surface.keys
        self.connected = self.surface.control.create_account(connected_to=keys["default"]["account"])["account"]
        self.tour = {
            "live_distribution": "private",
            "connected_mode": "test",
            "connected_account": self.connected,
            "secret_payload": "first-token-value-0001",
        }
        self._write_tour()
        self.env = self.surface.env(app_ids=[MANIFEST])
        self.retained: set[str] = set()

    @property
    def emulator_log(self) -> list[dict[str, Any]]:
        return self.surface.emulator.backend.request_log

    def names(self) -> Names:
        return Names.of(self.surface.control, [self.connected])

    def _write_tour(self) -> None:
        if self.front == "native":  # YAML reads no files: the values are written into the program
            native.tour_program(self.root, f"apps/{MANIFEST}", self.tour)
        else:
            (self.root / "tour.json").write_text(json.dumps(self.tour))

    def prepare(self, kind: str) -> list[str]:
        """Makes the change this kind of operation applies; returns the pulumi command that applies it."""
        manifest = json.loads((self.app_dir / "stripe-app.json").read_text())
        self.retained.add(f"{MANIFEST}@{manifest['version']}")
        if kind == "upgrade":
            set_manifest(self.app_dir, version="1.1.0")
            (self.app_dir / "src" / "View.tsx").write_text("export const View = () => 'upgraded';\n")
        elif kind == "mode_replace":
            self.tour["connected_mode"] = "live"
        elif kind == "secret_rotation":
            self.tour["secret_payload"] = "rotated-token-value-0002"
        elif kind == "public_switch":
            set_manifest(self.app_dir, version="1.2.0", distribution_type="public")
            self.tour["live_distribution"] = "public"
        self._write_tour()
        return ["destroy", "--yes"] if kind == "destroy" else ["up", "--yes", "--skip-preview"]

    def run(self, *args: str, event_log: bool = False) -> tuple[subprocess.CompletedProcess[str], list[Any]]:
        """`pulumi ARGS`; with `event_log`, the steps from its event log too."""
        self.commands += 1
        log_path = self.root / f"events-{self.commands}.jsonl"
        extra = ["--event-log", str(log_path)] if event_log else []
        # The CLI registers --event-log (the Automation API's) only with PULUMI_DEBUG_COMMANDS set.
        env = {**self.env, "PULUMI_DEBUG_COMMANDS": "true"} if event_log else self.env
        done = self.engine.cli([*args, *extra], cwd=self.root, env=env)
        self.log.append(f"$ pulumi {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done, steps_of_event_log(log_path) if event_log else []

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        done, _ = self.run(*args)
        if done.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed:\n" + short("\n".join(self.log[-3:]), 6000))
        return done

    def export(self) -> dict[str, Any]:
        deployment: dict[str, Any] = json.loads(self.ok("stack", "export").stdout)["deployment"]
        return deployment

    def checkpoint(self) -> Path:
        return self.engine.root / "backend" / ".pulumi" / "stacks" / "reliability-tour" / "dev.json"


def reference_tour(
    surface: Surface, engine: EngineSandbox, root: Path, kinds: tuple[str, ...], front: Front = "dynamic"
) -> dict[str, Reference]:
    """Runs the kinds without kills: each kind's API request count and planned creates."""
    project = TourProject(root, engine, surface, front)
    project.ok("stack", "select", "--create", "dev")
    found = {}
    for kind in kinds:
        command = project.prepare(kind)
        start = len(project.emulator_log)
        done, steps = project.run(*command, event_log=True)
        if done.returncode != 0:
            raise AssertionError(f"reference {kind} failed:\n" + short("\n".join(project.log[-1:]), 6000))
        requests = len(api_requests(project.emulator_log[start:]))
        found[kind] = Reference(requests, planned_creates(steps, dict(project.names().apps)))
    return found


def kill_point(surface: SurfaceName, tour: int, kind: str, reference: Reference, front: Front = "dynamic") -> int:
    """The API request after which the CLI dies: drawn from the reference's sequence, before its last one."""
    rng = random.Random(f"{surface}:{tour}:{kind}" if front == "dynamic" else f"{front}:{surface}:{tour}:{kind}")
    return rng.randint(1, max(1, reference.requests - 1))


def killed_tour(
    surface: Surface,
    engine: EngineSandbox,
    root: Path,
    tour: int,
    kinds: tuple[str, ...],
    killed_kinds: tuple[str, ...],
    references: dict[str, Reference],
    front: Front = "dynamic",
) -> list[dict[str, Any]]:
    """One tour; a row per killed kind, complete whatever happened (a failure stops the tour)."""
    project = TourProject(root, engine, surface, front)
    project.ok("stack", "select", "--create", "dev")
    rows = []
    for index, kind in enumerate(kinds):
        if kind not in killed_kinds:
            project.ok(*project.prepare(kind))
            continue
        after = kill_point(surface.name, tour, kind, references[kind], front)
        row: dict[str, Any] = {
            "front": front,
            "surface": surface.name,
            "tour": tour,
            "operation": kind,
            "after_requests": after,
            "reference_requests": references[kind].requests,
            "outcome": "error",
            "killed": False,
            "recovered": False,
            "leaked": None,
        }
        rows.append(row)
        try:
            _kill_and_recover(project, kind, references[kind], after, clear_pending=(tour + index) % 2 == 0, row=row)
        except Exception:
            row["error"] = short(traceback.format_exc() + "\n" + "\n".join(project.log[-2:]), 6000)
            break  # the stack is in an unknown state: the tour's remaining kinds are not run
    return rows


def _kill_and_recover(
    project: TourProject, kind: str, reference: Reference, after: int, *, clear_pending: bool, row: dict[str, Any]
) -> None:
    excess: dict[str, int] = {}

    def count(stage: str, entries: list[dict[str, Any]], planned: Counter[Target]) -> None:
        for target, extra in excess_creates(create_attempts(entries, project.names()), planned).items():
            excess[f"{stage}: {target}"] = extra

    command = project.prepare(kind)
    start = len(project.emulator_log)
    killed, hosts, running, waited = kill_after(project, command, after)
    leaked = [process for process in running if not is_stock_host(process)]
    row.update(
        killed=killed,
        requests_of_killed_run=len(api_requests(project.emulator_log[start:])),
        hosts_at_kill=hosts,
        leaked=len(leaked),
        leaked_commands=[p.command for p in leaked],
        stock_hosts_left=[Path(p.command.split(" ", 1)[0]).name for p in running if is_stock_host(p)],
        hosts_exit_s=round(waited, 2),
    )
    count(kind, project.emulator_log[start:], reference.planned)

    # What a user does (README, "Recovering from an interrupted `pulumi up`").
    cancel, _ = project.run("cancel", "--yes")
    restored = "failed to load checkpoint" in cancel.stderr + cancel.stdout
    broken: list[str] = []
    if restored:
        # The kill cut a checkpoint write: the checkpoint or its attributes file (`dev.json.attrs`, which the
        # file backend writes beside it) is empty. The previous ones are beside them as `.bak`.
        checkpoint = project.checkpoint()
        for name, backup in (("dev.json", "dev.json.bak"), ("dev.json.attrs", "dev.json.bak.attrs")):
            target = checkpoint.with_name(name)
            if not target.exists() or target.stat().st_size == 0:
                broken.append(name)
                target.write_bytes(checkpoint.with_name(backup).read_bytes())
        project.ok("cancel", "--yes")
    row["checkpoint_broken"] = broken
    pending = [op["type"] for op in project.export().get("pending_operations") or []]
    row.update(checkpoint_restored=restored, pending_operations=pending, cleared_pending=clear_pending)
    # Both ways out of pending creates: clear them, or leave them to `up`; creates adopt what Stripe has.
    start = len(project.emulator_log)
    refresh, steps = project.run(
        "refresh", "--yes", *(["--clear-pending-creates"] if clear_pending else []), event_log=True
    )
    count("refresh", project.emulator_log[start:], planned_creates(steps, dict(project.names().apps)))
    start = len(project.emulator_log)
    again, steps = project.run(*command, event_log=True)
    count(command[0], project.emulator_log[start:], planned_creates(steps, dict(project.names().apps)))
    deployment = project.export()
    if kind == "destroy":
        left = len(live_installs(project.surface.control)) + len(objects(project.surface.control, "secret"))
        settled = left == 0 and not [res for res in deployment.get("resources") or [] if res.get("custom")]
        row["left_after_destroy"] = left
    else:
        settled = project.run("preview", "--expect-no-changes")[0].returncode == 0
    row["recovered"] = refresh.returncode == 0 and again.returncode == 0 and settled
    found = audit(project.surface.control, deployment, retained_versions=project.retained)
    row.update(
        excess_creates=sum(excess.values()),
        excess_detail=excess,
        duplicate_objects=found.duplicate_objects,
        orphans=found.orphans,
        missing=found.missing,
        audit=found.details,
        tracebacks=len(stray_tracebacks("\n".join(project.log))),
    )
    healthy = row["killed"] and row["recovered"] and row["leaked"] == 0 and row["tracebacks"] == 0
    healthy = healthy and row["excess_creates"] == row["duplicate_objects"] == row["orphans"] == row["missing"] == 0
    row["outcome"] = "passed" if healthy else "failed"
    if not healthy:
        row["log"] = short("\n".join(project.log[-4:]), 4000)


def kill_after(
    project: TourProject, command: list[str], after: int, *, exit_deadline: float = EXIT_DEADLINE
) -> tuple[bool, int, list[Any], float]:
    """Starts `pulumi COMMAND`, SIGKILLs it once the emulator has logged `after` more API requests.

    Only the CLI is killed, as the OOM killer or a crashed runner would; every process it started must then
    exit on its own. Returns (killed mid-run, processes in its session at the kill, those still running
    EXIT_DEADLINE seconds after it or when all but Pulumi's stock hosts had exited, seconds until then).
    Leftovers are killed afterwards.
    """
    import time  # noqa: PLC0415 - the deadline clock only; the waiting is on the process itself

    log = project.emulator_log
    start = len(log)
    with (project.root / f"killed-{project.commands}.out").open("w") as out:
        process = subprocess.Popen(
            ["pulumi", *command, "--non-interactive"],
            cwd=project.root,
            env=project.engine.env(project.env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        killed, hosts = False, 0
        deadline = time.monotonic() + KILL_DEADLINE
        try:
            while time.monotonic() < deadline:
                if len(api_requests(log[start:])) >= after:
                    hosts = len(session_processes(process.pid)) - 1
                    process.kill()
                    killed = True
                    break
                try:
                    process.wait(timeout=0.005)
                except subprocess.TimeoutExpired:
                    continue
                break
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
    leaked, waited = wait_for_exit(process.pid, exit_deadline)
    kill_all(leaked)
    with contextlib.suppress(OSError):
        project.log.append(
            f"$ pulumi {' '.join(command)} (killed after {after} requests)\n"
            + short((project.root / f"killed-{project.commands}.out").read_text(), 3000)
        )
    return killed, hosts, leaked, waited


def surface_kinds(surface: SurfaceName, killed: tuple[str, ...]) -> tuple[str, ...]:
    """The kinds a tour runs: create first, destroy last, the killed kinds in their order between."""
    order = (
        STRIPE_KINDS
        if surface == "stripe"
        else tuple(k for k in ("create", "upgrade", "mode_replace", "secret_rotation", "public_switch", "destroy"))
    )
    return tuple(kind for kind in order if kind in killed or kind in ("create", "destroy"))
