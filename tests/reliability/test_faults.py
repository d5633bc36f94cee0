"""Seeded faults on every write route: `pulumi up` converges with no duplicates and no orphans; destroy is clean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi import automation as auto

from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.reliability.conftest import Record
from tests.reliability.support import MODES, SIZE, audit, config, fault_rules, live_installs, program, write_apps
from tests.support.engine import EngineSandbox
from tests.support.errors import stray_tracebacks

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def until_success(operation: Callable[[], object], attempts: int) -> tuple[int, list[str]]:
    """Runs `operation` until it succeeds, at most `attempts` times: (attempts used or 0, error texts)."""
    errors: list[str] = []
    for attempt in range(1, attempts + 1):
        try:
            operation()
        except auto.CommandError as error:
            errors.append(str(error))
            continue
        return attempt, errors
    return 0, errors


@pytest.mark.parametrize("seed", range(1, SIZE.fault_seeds + 1))
def test_faulted_up_converges_without_duplicates_or_orphans(
    seed: int,
    *,
    engine: EngineSandbox,
    emulator: RunningEmulator,
    control: ControlClient,
    tmp_path: Path,
    record: Record,
) -> None:
    apps = write_apps(tmp_path / "apps", SIZE.fault_apps)
    stack = engine.inline_stack(program(apps), config=config(emulator))
    control.set_faults(seed, fault_rules(SIZE.fault_rate))

    attempts, errors = until_success(stack.up, SIZE.attempts)
    log = control.fault_log()
    writes = len({entry["request_id"] for entry in log})
    faulted = len({entry["request_id"] for entry in log if entry["fired"]})
    control.clear_faults()
    deployment = stack.export_stack().deployment
    found = audit(control, deployment)
    stable = found == audit(control, deployment)  # nothing moves once the runs are over

    control.set_faults(seed + 10_000, fault_rules(SIZE.fault_rate))
    destroy_attempts, destroy_errors = until_success(stack.destroy, SIZE.attempts)
    control.clear_faults()
    left = live_installs(control)
    record(
        "faults",
        seed=seed,
        apps=SIZE.fault_apps,
        resources=SIZE.fault_apps * (1 + len(MODES)),
        writes=writes,
        faulted=faulted,
        fault_rate=round(faulted / writes, 3) if writes else 0.0,
        converged=attempts > 0,
        attempts=attempts,
        duplicates=found.duplicates,
        orphans=found.orphans,
        destroyed=destroy_attempts > 0 and not left,
        destroy_attempts=destroy_attempts,
    )

    assert attempts > 0, f"seed {seed}: no convergence in {SIZE.attempts} runs; last error:\n{errors[-1]}"
    assert faulted > 0, f"seed {seed}: no fault fired in {writes} writes"
    assert stable
    assert (found.duplicate_uploads, found.duplicate_installs) == (0, 0), found
    assert (found.orphan_uploads, found.orphan_installs, found.missing) == (0, 0, 0), found
    assert destroy_attempts > 0, f"seed {seed}: destroy did not finish; last error:\n{destroy_errors[-1]}"
    assert left == []
    for text in errors + destroy_errors:
        assert stray_tracebacks(text) == [], text
