"""Rate limits (25/s in test and sandboxes) with `--parallel 32` and ~70 resources, on both surfaces: the
provider only waits. Failures are counted from the stack's state (resources the plan wanted and did not get)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from tests.reliability.conftest import Record
from tests.reliability.support import (
    INSTALL_TYPE,
    MODES,
    SECRET_TYPE,
    SIZE,
    VERSION_TYPE,
    Names,
    api_requests,
    app_ids,
    audit,
    create_attempts,
    excess_creates,
    live_installs,
    planned_creates,
    program,
    resources,
    short,
    steps_of_automation_events,
    write_apps,
)
from tests.support.engine import EngineSandbox
from tests.support.surfaces import Surface

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
STRIPE_SURFACE_TEST_LIMIT = 8


def storm(
    engine: EngineSandbox, surface: Surface, root: Path, apps: int, *, revoke_sandbox: bool = False
) -> dict[str, Any]:
    """`pulumi up --parallel 32` of `apps` apps in every mode: the figures, whatever the outcome."""
    # Stripe's surface has no Version History to read and uploads through the CLI: the provider's four calls
    # at a time stay under 25/s, so there the storm meets a lower limit.
    limits = (
        surface.control.rate_limits(test=STRIPE_SURFACE_TEST_LIMIT)
        if surface.is_stripe
        else surface.control.rate_limits()
    )
    dirs = write_apps(root / "apps", apps)
    stack = engine.inline_stack(program(dirs, secrets=True), config=surface.config(app_ids=app_ids(apps)))
    if revoke_sandbox:  # a failure the provider cannot wait out: shows the count counts
        surface.control.revoke_key(surface.keys["sandbox"]["test"])
    log = surface.emulator.backend.request_log
    start = len(log)
    events: list[Any] = []
    error = None
    try:
        stack.up(parallel=32, on_event=events.append)
    except auto.CommandError as failed:
        error = short(str(failed), 3000)
    requests = api_requests(log[start:])
    deployment = stack.export_stack().deployment
    wanted = apps * (1 + 2 * len(MODES))
    made = sum(len(resources(deployment, type_)) for type_ in (VERSION_TYPE, INSTALL_TYPE, SECRET_TYPE))
    names = Names.of(surface.control)
    excess = excess_creates(
        create_attempts(log[start:], names), planned_creates(steps_of_automation_events(events), dict(names.apps))
    )
    found = audit(surface.control, deployment)
    return {
        "surface": surface.name,
        "resources": wanted,
        "parallel": 32,
        "test_limit_per_s": limits["test"],
        "requests": len(requests),
        "rate_limited": sum(entry["status"] == 429 for entry in requests),
        "failures": wanted - made,
        "error": error,
        "excess_creates": sum(excess.values()),
        "duplicate_objects": found.duplicate_objects,
        "orphans": found.orphans,
        "missing": found.missing,
    }


def test_rate_limited_parallel_up_only_waits(
    engine: EngineSandbox, surface: Surface, tmp_path: Path, record: Record
) -> None:
    row: dict[str, Any] = {"surface": surface.name, "outcome": "error", "failures": None}
    try:
        row = storm(engine, surface, tmp_path, SIZE.limit_apps)
        row["outcome"] = "passed" if row["failures"] == 0 and row["rate_limited"] > 0 else "failed"
    finally:
        record("limits", **row)
    assert row["rate_limited"] > 0, f"{row['requests']} requests and none was rate limited: the limit was not reached"
    assert row["failures"] == 0 and row["error"] is None, row["error"]
    assert row["excess_creates"] == row["duplicate_objects"] == row["orphans"] == row["missing"] == 0, row
    assert live_installs(surface.control)
