"""Rate limits (25/s in test and sandboxes) with `--parallel 32` and ~40 resources: only waiting, no failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from stripe_apps_emulator.testing import ControlClient, RunningEmulator
from tests.reliability.conftest import Record
from tests.reliability.support import MODES, SIZE, api_requests, audit, config, live_installs, program, write_apps
from tests.support.engine import EngineSandbox

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_rate_limited_parallel_up_only_waits(
    engine: EngineSandbox, emulator: RunningEmulator, control: ControlClient, tmp_path: Path, record: Record
) -> None:
    limits = control.rate_limits()
    apps = write_apps(tmp_path / "apps", SIZE.limit_apps)
    stack = engine.inline_stack(program(apps), config=config(emulator))
    control.clear_requests()
    up = stack.up(parallel=32)
    requests = api_requests(control)
    limited = [entry for entry in requests if entry["status"] == 429]
    found = audit(control, stack.export_stack().deployment)
    record(
        "limits",
        resources=SIZE.limit_apps * (1 + len(MODES)),
        parallel=32,
        test_limit_per_s=limits["test"],
        requests=len(requests),
        rate_limited=len(limited),
        failures=0,
        duplicates=found.duplicates,
    )
    assert limits["enabled"] is True
    assert up.summary.resource_changes == {"create": SIZE.limit_apps * (1 + len(MODES)) + 1}
    assert limited, f"{len(requests)} requests and none was rate limited: the limit was not reached"
    assert found.duplicates == 0 and found.orphans == 0 and found.missing == 0, found
    stack.destroy(parallel=32)
    assert live_installs(control) == []
