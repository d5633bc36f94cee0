"""One seeded fault run: `pulumi up` under faults on every route until it converges, then `destroy` under faults.

Run by test_faults.py in worker processes (`python -m tests.reliability.fault_runs FRONT:SURFACE:SEED ...`), each
printing one `ROW {json}` line per run, so runs proceed side by side while each waits out its backoffs.
The row is complete whatever happened: a run that raised reports `outcome: error` and what it reached.
The dynamic front runs the stack as an inline Python program; the native front as a YAML project (the plugin).
"""

from __future__ import annotations

import json
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto

from pulumi_stripe_apps import AppInstallation, AppSecret, AppVersion
from tests.reliability import native
from tests.reliability.support import (
    ERROR_KINDS,
    FRONTS,
    MODES,
    SIZE,
    Front,
    Names,
    api_requests,
    audit,
    create_attempts,
    excess_creates,
    fault_rules,
    live_installs,
    objects,
    planned_creates,
    route_of,
    short,
    steps_of_automation_events,
    write_apps,
)
from tests.support.engine import EngineSandbox
from tests.support.errors import stray_tracebacks
from tests.support.stripe_cli import clear_cli_faults, cli_fault_log, set_cli_faults
from tests.support.surfaces import Surface, SurfaceName, serving

ROW = "ROW "
# The Stripe CLI stand-in's own failures on Stripe's surface: before the upload is sent, after it landed.
CLI_FAULT_RATE = 0.15


def program(app_dir: Path, public: bool) -> Any:
    """A version, an install in each mode (live one public on `public` runs) and a secret in each mode."""

    def run() -> None:
        version = AppVersion("r0", app_dir=str(app_dir))
        for mode in MODES:
            install = AppInstallation(
                f"r0-{mode}",
                app=version.app,
                version=version.version,
                mode=mode,
                distribution="public" if public and mode == "live" else "private",
                sandbox_install_compatible=version.sandbox_install_compatible,
                requested_access=version.requested_access,
            )
            pulumi.export(f"r0-{mode}", install.status)
            AppSecret(f"s-{mode}", name="api_token", payload=f"token-{mode}-{app_dir.name}", mode=mode)

    return run


class Run:
    """The operations of one run against one emulator, each with its engine events and request-log slice."""

    def __init__(self, surface: Surface, stack: auto.Stack) -> None:
        self.surface = surface
        self.stack = stack
        self.errors: list[str] = []
        self.excess: dict[str, int] = {}
        self.requests: list[dict[str, Any]] = []

    def operation(self, name: str, **options: Any) -> bool:
        """One engine operation; its create attempts are checked against the steps its plan ran."""
        events: list[Any] = []
        log = self.surface.emulator.backend.request_log
        start = len(log)
        try:
            getattr(self.stack, name)(on_event=events.append, **options)
            ok = True
        except auto.CommandError as error:
            self.errors.append(str(error))
            ok = False
        entries = list(log[start:])
        self.requests += api_requests(entries)
        names = Names.of(self.surface.control)
        attempts = create_attempts(entries, names)
        planned = planned_creates(steps_of_automation_events(events), dict(names.apps))
        for target, count in excess_creates(attempts, planned).items():
            self.excess[f"{name}: {target}"] = self.excess.get(f"{name}: {target}", 0) + count
        return ok

    def until_success(self, name: str, attempts: int) -> int:
        """Runs the operation until it succeeds, at most `attempts` times: attempts used, or 0."""
        for attempt in range(1, attempts + 1):
            if self.operation(name):
                return attempt
        return 0


def run_seed(
    surface_name: SurfaceName,
    seed: int,
    root: Path,
    *,
    front: Front = "dynamic",
    attempts: int = SIZE.attempts,
    sabotage: Callable[[Surface], object] | None = None,
) -> dict[str, Any]:
    """One run's row; `sabotage` (for the suite's own tests) breaks the surface once the stack is set up."""
    public = surface_name == "full" and seed % 2 == 0
    row: dict[str, Any] = {
        "front": front,
        "surface": surface_name,
        "seed": seed,
        "public_listing": public,
        "resources": 1 + 2 * len(MODES),
        "outcome": "error",
        "converged": False,
        "destroyed": False,
        "up_attempts": 0,
        "destroy_attempts": 0,
    }
    try:
        with serving(surface_name, root / "surface") as surface:
            _run(surface, front, seed, public, root, row, attempts, sabotage)
    except Exception:  # the row says what happened; the test fails on outcome != passed
        row["error"] = short(traceback.format_exc(), 2000)
    return row


def _run(
    surface: Surface,
    front: Front,
    seed: int,
    public: bool,
    root: Path,
    row: dict[str, Any],
    attempts: int,
    sabotage: Callable[[Surface], object] | None,
) -> None:
    control = surface.control
    (app_dir,) = write_apps(root / "apps", 1, distribution="public" if public else "private")
    engine = EngineSandbox(root / "engine")
    config = surface.config(app_ids=["com.example.reliability0"])
    if front == "native":
        project = root / "project"
        project.mkdir()
        native.fault_run_program(project, app_dir, public=public)
        stack = engine.project_stack(project, config=config)
    else:
        stack = engine.inline_stack(program(app_dir, public), config=config)
    run = Run(surface, stack)
    if sabotage is not None:
        sabotage(surface)

    control.set_faults(seed, fault_rules(SIZE.error_rate, SIZE.latency_rate))
    if surface.stripe_cli is not None:
        cli_rules = [{"kind": "crash_before", "probability": CLI_FAULT_RATE / 2}]
        cli_rules.append({"kind": "crash_after", "probability": (CLI_FAULT_RATE / 2) / (1 - CLI_FAULT_RATE / 2)})
        set_cli_faults(surface.stripe_cli, seed, cli_rules)
    row["up_attempts"] = run.until_success("up", attempts)
    faulted_requests = list(run.requests)
    control.clear_faults()
    cli_log = cli_fault_log(surface.stripe_cli) if surface.stripe_cli is not None else []
    if surface.stripe_cli is not None:
        clear_cli_faults(surface.stripe_cli)

    no_changes = run.operation("preview", expect_no_changes=True)
    row["converged"] = row["up_attempts"] > 0 and no_changes
    found = audit(control, stack.export_stack().deployment)
    row.update(duplicate_objects=found.duplicate_objects, orphans=found.orphans, missing=found.missing)
    row["audit"] = found.details

    control.set_faults(seed + 10_000, fault_rules(SIZE.error_rate, SIZE.latency_rate))
    before_destroy = len(run.requests)
    row["destroy_attempts"] = run.until_success("destroy", attempts)
    faulted_requests += run.requests[before_destroy:]
    control.clear_faults()
    left = len(live_installs(control)) + len(objects(control, "secret"))
    row["destroyed"] = row["destroy_attempts"] > 0 and left == 0
    row["left_after_destroy"] = left

    kinds = [entry["fault"] for entry in faulted_requests]
    row.update(
        requests=len(faulted_requests),
        error_faults=sum(kind in ERROR_KINDS for kind in kinds),
        latency_faults=kinds.count("latency"),
        fault_kinds=dict(sorted((kind, kinds.count(kind)) for kind in set(kinds) if kind)),
        routes_called=sorted({route_of(entry) for entry in faulted_requests}),
        routes_faulted=sorted({route_of(entry) for entry in faulted_requests if entry["fault"] in ERROR_KINDS}),
        cli_runs=len({entry["run"] for entry in cli_log}),
        cli_faults=sum(entry["fired"] for entry in cli_log),
        excess_creates=sum(run.excess.values()),
        excess_detail=run.excess,
        tracebacks=sum(bool(stray_tracebacks(text)) for text in run.errors),
        last_error=short(run.errors[-1]) if run.errors else None,
    )
    healthy = (
        row["converged"]
        and row["destroyed"]
        and row["excess_creates"] == row["duplicate_objects"] == row["orphans"] == row["missing"] == 0
        and row["tracebacks"] == 0
        and row["error_faults"] > 0
    )
    row["outcome"] = "passed" if healthy else "failed"


def main(argv: list[str]) -> int:
    for task in argv:
        front, surface_name, seed = task.split(":")
        assert front in FRONTS and surface_name in ("full", "stripe")
        with tempfile.TemporaryDirectory(prefix=f"faults-{front}-{surface_name}-{seed}-") as tmp:
            row = run_seed(surface_name, int(seed), Path(tmp), front=front)  # type: ignore[arg-type]
        print(ROW + json.dumps(row, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
