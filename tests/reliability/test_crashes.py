"""SIGKILL of `pulumi` at points drawn from each kind of operation's request sequence, on both surfaces and both
fronts (a Python program's dynamic resources, a YAML program's native plugin): no host or child of a host left
running, and a user's recovery converges with no create beyond the plans, no duplicate, no orphan."""

from __future__ import annotations

import json
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import Record
from tests.reliability.kill_tours import kill_point, killed_tour, reference_tour, surface_kinds
from tests.reliability.support import FRONTS, Front, kill_plan, short
from tests.support.engine import EngineSandbox
from tests.support.surfaces import SURFACES, SurfaceName, serving

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def tours(front: Front, surface: SurfaceName, root: Path) -> list[dict[str, Any]]:
    """The reference tour, then the front's killed tours; a row per kill point whatever happens."""
    count, kill_kinds = kill_plan(front)
    killed = kill_kinds[surface]
    kinds = surface_kinds(surface, killed)
    try:
        with serving(surface, root / "reference") as served:
            references = reference_tour(
                served, EngineSandbox(root / "reference" / "engine"), root / "reference" / "project", kinds, front
            )
    except Exception:
        error = short(traceback.format_exc(), 6000)
        return [
            {
                "front": front,
                "surface": surface,
                "tour": tour,
                "operation": kind,
                "outcome": "error",
                "killed": False,
                "recovered": False,
                "leaked": None,
                "error": f"the reference tour failed: {error}",
            }
            for tour in range(1, count + 1)
            for kind in killed
        ]
    rows: list[dict[str, Any]] = []
    for tour in range(1, count + 1):
        base = root / f"tour{tour}"
        try:
            with serving(surface, base) as served:
                found = killed_tour(
                    served, EngineSandbox(base / "engine"), base / "project", tour, kinds, killed, references, front
                )
        except Exception:
            found = [
                {
                    "front": front,
                    "surface": surface,
                    "tour": tour,
                    "operation": "(setup)",
                    "outcome": "error",
                    "killed": False,
                    "recovered": False,
                    "leaked": None,
                    "error": short(traceback.format_exc(), 6000),
                }
            ]
        done = {row["operation"] for row in found}
        for kind in killed:  # kinds a failure kept from running count as not recovered
            if kind not in done:
                found.append(
                    {
                        "front": front,
                        "surface": surface,
                        "tour": tour,
                        "operation": kind,
                        "outcome": "not run",
                        "after_requests": kill_point(surface, tour, kind, references[kind], front),
                        "killed": False,
                        "recovered": False,
                        "leaked": None,
                        "error": "an earlier kill point of this tour failed",
                    }
                )
        rows += found
    return rows


@pytest.mark.parametrize("front", FRONTS)
def test_killed_operations_leave_no_host_and_recover(front: Front, tmp_path: Path, record: Record) -> None:
    rows: list[dict[str, Any]] = []
    try:
        with ThreadPoolExecutor(len(SURFACES)) as pool:
            for found in pool.map(lambda surface: tours(front, surface, tmp_path / surface), SURFACES):
                rows += found
    finally:
        for row in rows:
            record("crash", **row)
    failed = [row for row in rows if row["outcome"] != "passed"]
    print(f"kill points: {len(rows)}; failed: {[(r['surface'], r['tour'], r['operation']) for r in failed]}")
    assert failed == [], json.dumps(failed, indent=1, sort_keys=True)[:20_000]
    count, kill_kinds = kill_plan(front)
    assert len(rows) == sum(len(kill_kinds[surface]) for surface in SURFACES) * count
